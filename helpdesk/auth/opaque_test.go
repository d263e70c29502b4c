package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

var (
	apiTokenFormat     = regexp.MustCompile(`^bld_([a-z2-7]{8})_([A-Za-z0-9_-]{43})$`)
	refreshTokenFormat = regexp.MustCompile(`^bldr_[A-Za-z0-9_-]{43}$`)
	digestFormat       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestNewRefreshToken(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 500 {
		plain, digest, err := auth.NewRefreshToken()
		require.NoError(t, err)
		require.Regexp(t, refreshTokenFormat, plain)
		require.Regexp(t, digestFormat, digest)
		require.Equal(t, auth.Digest(plain), digest)
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(plain, auth.RefreshTokenPrefix))
		require.NoError(t, err)
		require.Len(t, raw, 32)
		require.False(t, seen[plain], "duplicate refresh token")
		seen[plain] = true

		_, err = auth.ParseAPIToken(plain)
		require.ErrorIs(t, err, auth.ErrTokenInvalid, "a refresh token is not an API token")
	}
}

func TestNewAPIToken(t *testing.T) {
	t.Parallel()
	seenPlain, seenID := make(map[string]bool), make(map[string]bool)
	for range 500 {
		plain, lookupID, digest, err := auth.NewAPIToken()
		require.NoError(t, err)
		m := apiTokenFormat.FindStringSubmatch(plain)
		require.NotNil(t, m, "bad format: %s", plain)
		require.Equal(t, lookupID, m[1])
		require.True(t, strings.HasPrefix(plain, auth.APITokenPrefix+lookupID+"_"))
		raw, err := base64.RawURLEncoding.DecodeString(m[2])
		require.NoError(t, err)
		require.Len(t, raw, 32)

		sum := sha256.Sum256([]byte(plain))
		require.Equal(t, hex.EncodeToString(sum[:]), digest, "digest is hex SHA-256 of the whole token")
		require.Equal(t, auth.Digest(plain), digest)

		got, err := auth.ParseAPIToken(plain)
		require.NoError(t, err)
		require.Equal(t, lookupID, got)

		require.False(t, seenPlain[plain])
		require.False(t, seenID[lookupID])
		seenPlain[plain], seenID[lookupID] = true, true
	}
}

func TestParseAPIToken(t *testing.T) {
	t.Parallel()
	const secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 43 chars, 32 zero bytes
	valid := "bld_abcdefgh_" + secret
	tests := []struct {
		name   string
		plain  string
		wantID string // empty means refused
	}{
		{"valid", valid, "abcdefgh"},
		{"valid with base32 digits", "bld_a2b3c4d7_" + secret, "a2b3c4d7"},
		{"valid with url-safe secret chars", "bld_abcdefgh_" + strings.Repeat("_-", 21) + "A", "abcdefgh"},
		{"empty", "", ""},
		{"prefix only", "bld_", ""},
		{"refresh token", "bldr_" + secret, ""},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.e30.sig", ""},
		{"wrong prefix case", "BLD_abcdefgh_" + secret, ""},
		{"uppercase lookup id", "bld_ABCDEFGH_" + secret, ""},
		{"lookup id with 0/1/8/9", "bld_abcdef01_" + secret, ""},
		{"lookup id with dash", "bld_abcd-fgh_" + secret, ""},
		{"short lookup id", "bld_abcdefg_" + secret + "A", ""},
		{"long lookup id", "bld_abcdefghi_" + secret[1:], ""},
		{"missing separator", "bld_abcdefghX" + secret, ""},
		{"short secret", valid[:len(valid)-1], ""},
		{"long secret", valid + "A", ""},
		{"standard base64 chars", "bld_abcdefgh_" + strings.Repeat("+/", 21) + "A", ""},
		{"padded secret", "bld_abcdefgh_" + secret[:42] + "=", ""},
		{"non-canonical last char", "bld_abcdefgh_" + secret[:42] + "B", ""},
		{"newline in secret", "bld_abcdefgh_" + secret[:20] + "\n" + secret[21:], ""},
		{"trailing newline", valid + "\n", ""},
		{"leading space", " " + valid[1:], ""},
		{"non-ascii", "bld_abcdéfgh" + secret, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := auth.ParseAPIToken(tt.plain)
			if tt.wantID != "" {
				require.NoError(t, err)
				require.Equal(t, tt.wantID, id)
				return
			}
			require.ErrorIs(t, err, auth.ErrTokenInvalid)
			require.Empty(t, id)
			require.NotContains(t, err.Error(), secret[:10], "errors never echo the token")
		})
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	tests := []struct{ plain, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, auth.Digest(tt.plain))
	}
	require.NotEqual(t, auth.Digest("bld_abcdefgh_x"), auth.Digest("bld_abcdefgh_y"))
}

func TestEqualDigest(t *testing.T) {
	t.Parallel()
	d := auth.Digest("token")
	flipLast := d[:63] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", d[63])+1)%16])
	flipFirst := string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", d[0])+1)%16]) + d[1:]
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same", d, d, true},
		{"same value, different backing array", d, strings.Clone(d), true},
		{"differs in the last char", d, flipLast, false},
		{"differs in the first char", d, flipFirst, false},
		{"prefix of the other", d, d[:32], false},
		{"longer", d, d + "0", false},
		{"upper-case hex is another string", d, strings.ToUpper(d), false},
		{"empty stored digest", "", d, false},
		{"empty presented digest", d, "", false},
		{"both empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, auth.EqualDigest(tt.a, tt.b))
			require.Equal(t, tt.want, auth.EqualDigest(tt.b, tt.a), "symmetric")
		})
	}
}

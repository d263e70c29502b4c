package auth_test

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

func FuzzParseBearer(f *testing.F) {
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "Bearer abc", "bearer abc==", "Basic abc", "Bearer  abc",
		"Bearer a b", "Bearer \x00", "Bearer tökén", "Bearer a=b", "Bearer " + strings.Repeat("x", 4090),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := auth.ParseBearer(header)
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q returned with error %v", tok, err)
			}
			return
		}
		if len(header) > auth.MaxHeaderBytes {
			t.Fatalf("accepted a %d-byte header", len(header))
		}
		if tok == "" || !strings.EqualFold(header, "Bearer "+tok) || strings.ContainsAny(tok, " \t\r\n\x00,\"") {
			t.Fatalf("ParseBearer(%q) = %q", header, tok)
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] >= 0x80 {
				t.Fatalf("non-ASCII token accepted: %q", tok)
			}
		}
	})
}

func FuzzParseAccess(f *testing.F) {
	iss := newIssuer(f, testConfig())
	good, _, err := iss.IssueAccess(agent, "s", "")
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".." + parts[2])
	f.Add("..")
	f.Add("")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(sign(f, jwt.SigningMethodHS256, []byte(testSecret), defaultKID(f), validClaims(f)))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := iss.ParseAccess(token)
		if err != nil {
			if c != (auth.Claims{}) {
				t.Fatalf("claims %+v returned with error %v", c, err)
			}
			return
		}
		a := c.Actor()
		if a.UserID <= 0 || !a.Role.Valid() || c.SessionID == "" || c.ID == "" ||
			(a.CompanyID == 0 && !a.IsPlatformAdmin()) || a.CompanyID < 0 || a.ContactID < 0 {
			t.Fatalf("accepted a token with invalid claims: %+v", c)
		}
	})
}

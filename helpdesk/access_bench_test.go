package helpdesk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// BenchmarkAuthenticate measures checking an access token: its signature
// and claims, then its session and user (remembered between rechecks).
func BenchmarkAuthenticate(b *testing.B) {
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(4))
	require.NoError(b, err)
	b.Cleanup(func() { _ = desk.Close() })
	admin := companyAdmin(b, desk)
	ct, err := desk.Directory.CreateContact(b.Context(), admin, directory.ContactInput{Name: "Ana"})
	require.NoError(b, err)
	_, err = desk.Directory.CreateUser(b.Context(), admin, directory.UserInput{Email: "ana@acme.test", Password: "password-1234", Role: "agent", ContactID: ct.ID})
	require.NoError(b, err)
	tokens, _, err := desk.Login(b.Context(), "ana@acme.test", "password-1234")
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := desk.Authenticate(b.Context(), tokens.AccessToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

package whatsapp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

func TestCheckTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template, language string
		params                   int
		wantFields               []string
	}{
		{name: "approved name", template: "ticket_opened", language: "pt_BR"},
		{name: "longest name", template: strings.Repeat("a", maxTemplateName), language: "en"},
		{name: "name too long", template: strings.Repeat("a", maxTemplateName+1), language: "en", wantFields: []string{"name"}},
		{name: "upper case", template: "Ticket", language: "en_US", wantFields: []string{"name"}},
		{name: "empty name", template: "", language: "en_US", wantFields: []string{"name"}},
		{name: "bad language", template: "x", language: "pt-BR", wantFields: []string{"language"}},
		{name: "too many parameters", template: "x", language: "pt_BR", params: MaxParameters + 1, wantFields: []string{"parameters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b validation.Builder
			checkTemplate(&b, "", tt.template, tt.language, tt.params)
			err := b.Err()
			if tt.wantFields == nil {
				require.NoError(t, err)
				return
			}
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
			}
			require.Equal(t, tt.wantFields, got)
		})
	}
}

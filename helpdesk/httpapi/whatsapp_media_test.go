package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// mediaMessage is an inbound notification of one image or document, in
// the Cloud API's shape.
func mediaMessage(waID, kind, mediaID, mime, extra string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":%q,"timestamp":"1739321024","type":%q,%q:{"caption":"a impressora","mime_type":%q,"sha256":"x","id":%q%s}}]}}]}]}`,
		waPhoneID, waID, kind, kind, mime, mediaID, extra))
}

// TestWhatsAppInboundMedia: images and documents a contact sends are
// downloaded from the Cloud API (media ID → URL → bytes, with the token)
// and kept as attachments of the contact's ticket; an executable is not
// kept, and the message still comments.
func TestWhatsAppInboundMedia(t *testing.T) {
	t.Parallel()
	e, _ := filesEnv(t, func(*testing.T) helpdesk.Store { return memory.New() }, attachments.Policy{})
	f := newInvFixture(e)
	api := newFakeCloudAPI(t)
	admin, agent := f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]
	r := f.call(admin, "PUT", waPath+"/settings", map[string]any{"enabled": true, "base_url": api.srv.URL,
		"phone_number_id": waPhoneID, "access_token": waToken, "app_secret": waAppSecret, "verify_token": waVerifyToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	acme, _ := tenant.System().InCompany(f.a.ID)
	_, err := e.desk.Directory.CreateContact(t.Context(), acme, directory.ContactInput{Name: "Sheena Nelson",
		Phone: "+16505551234", WhatsAppOptIn: true})
	require.NoError(t, err)

	photo := pngFile(40 << 10)
	pdf := []byte("%PDF-1.7\n% nota fiscal\n")
	api.mu.Lock()
	api.media["1013859600285441"] = fakeMedia{"image/png", photo}
	api.media["2013859600285442"] = fakeMedia{"application/pdf", pdf}
	api.media["3013859600285443"] = fakeMedia{"application/octet-stream", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 500)...)}
	api.mu.Unlock()

	var res inboundResp
	body := mediaMessage("wamid.media1", "image", "1013859600285441", "image/png", "")
	r = f.webhook(body, waAppSecret)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &res)
	require.Equal(t, "ticket_opened", res.Items[0].Outcome)
	ticket := res.Items[0].TicketID
	body = mediaMessage("wamid.media2", "document", "2013859600285442", "application/pdf", `,"filename":"../NF 123.pdf"`)
	r = f.webhook(body, waAppSecret)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &res)
	require.Equal(t, "commented", res.Items[0].Outcome)
	require.Empty(t, res.Items[0].Reason)
	body = mediaMessage("wamid.media3", "document", "3013859600285443", "application/octet-stream", `,"filename":"fatura.pdf"`)
	r = f.webhook(body, waAppSecret)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &res)
	require.Equal(t, "commented", res.Items[0].Outcome)
	require.Contains(t, res.Items[0].Reason, "not kept")
	// A retry of the same message is a duplicate: nothing is fetched again.
	r = f.webhook(mediaMessage("wamid.media1", "image", "1013859600285441", "image/png", ""), waAppSecret)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	api.mu.Lock()
	require.Equal(t, 3, api.downloads)
	api.mu.Unlock()

	r = f.call(agent, "GET", "/api/helpdesk/tickets/"+strconv.FormatInt(ticket, 10)+"/attachments", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var list attachmentList
	r.JSON(t, &list)
	require.Len(t, list.Items, 2)
	require.Equal(t, "whatsapp-1013859600285441.png", list.Items[0].Name)
	require.Equal(t, "image/png", list.Items[0].ContentType)
	require.Equal(t, hexSum(photo), list.Items[0].SHA256)
	require.Equal(t, "NF 123.pdf", list.Items[1].Name)
	dl := e.raw("GET", list.Items[1].DownloadURL, "", nil, false, "Authorization", agent)
	require.Equal(t, http.StatusOK, dl.Status)
	require.Equal(t, pdf, dl.Body)

	// A medium the Cloud API cannot serve: the message is given back, so
	// that the Cloud API's retry may succeed.
	r = f.webhook(mediaMessage("wamid.media4", "image", "9999", "image/png", ""), waAppSecret)
	require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
	api.mu.Lock()
	api.media["9999"] = fakeMedia{"image/png", pngFile(100)}
	api.mu.Unlock()
	r = f.webhook(mediaMessage("wamid.media4", "image", "9999", "image/png", ""), waAppSecret)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &res)
	require.Equal(t, "commented", res.Items[0].Outcome)
	_ = whatsapp.SignatureHeader
}

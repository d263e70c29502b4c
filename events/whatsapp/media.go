package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// MediaInfo is what the Cloud API tells about an inbound medium
// (GET /{version}/{media-id}).
type MediaInfo struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	FileSize int64  `json:"file_size"`
}

// mediaID is the shape of a Cloud API media ID (digits).
var mediaID = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,128}$`)

// mediaHosts are where the Cloud API serves media besides its own host.
var mediaHosts = []string{".fbsbx.com", ".facebook.com", ".whatsapp.net"}

// Media asks the Cloud API where an inbound medium is (its URL, valid for
// a few minutes) and what it is.
func (c *Client) Media(ctx context.Context, id string) (MediaInfo, error) {
	if !mediaID.MatchString(id) {
		return MediaInfo{}, fmt.Errorf("whatsapp: media ID %q is malformed", truncate(id, 40))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/"+c.cfg.APIVersion+"/"+id, nil)
	if err != nil {
		return MediaInfo{}, fmt.Errorf("whatsapp: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	resp, err := c.http.Do(req)
	if err != nil {
		return MediaInfo{}, fmt.Errorf("whatsapp: asking for media %s: %w", id, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return MediaInfo{}, fmt.Errorf("whatsapp: reading the Cloud API's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return MediaInfo{}, apiError(resp.StatusCode, data)
	}
	var m MediaInfo
	if err := json.Unmarshal(data, &m); err != nil || m.URL == "" {
		return MediaInfo{}, &APIError{StatusCode: resp.StatusCode, Message: "the answer carries no media URL"}
	}
	return m, nil
}

// OpenMedia downloads a medium from the URL Media returned, with the
// access token, as the Cloud API requires. The URL must be HTTPS on the
// Cloud API's media hosts (or on the configured base URL's host, as a test
// server is); the caller closes the body.
func (c *Client) OpenMedia(ctx context.Context, m MediaInfo) (io.ReadCloser, error) {
	u, err := url.Parse(m.URL)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: media URL: %w", err)
	}
	base, _ := url.Parse(c.cfg.BaseURL)
	allowed := base != nil && u.Scheme == base.Scheme && u.Host == base.Host
	if u.Scheme == "https" {
		for _, h := range mediaHosts {
			allowed = allowed || strings.HasSuffix(u.Hostname(), h)
		}
	}
	if !allowed {
		// The token must not go anywhere else.
		return nil, fmt.Errorf("whatsapp: media URL host %q is not the Cloud API's: refused", u.Host)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: downloading media %s: %w", m.ID, err)
	}
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		return nil, apiError(resp.StatusCode, data)
	}
	return resp.Body, nil
}

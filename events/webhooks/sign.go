package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: "whsec_" and 32 random bytes in
// base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes the key of a whsec_ secret.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhooks: malformed secret: want whsec_ followed by base64")
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a message:
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Verify checks a webhook-signature header (space-separated "v1,<sig>"
// entries, any of which may match) against the message. It does not check
// the timestamp's age; receivers should.
func Verify(secret, id string, timestamp int64, body []byte, header string) error {
	want, err := Sign(secret, id, timestamp, body)
	if err != nil {
		return err
	}
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhooks: no matching v1 signature for message %s", id)
}

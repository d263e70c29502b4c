package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// natsURL returns the test NATS server, skipping without one.
func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("BOLADAO_TEST_NATS_URL")
	if url == "" {
		t.Skip("NATS tests skipped: set BOLADAO_TEST_NATS_URL=nats://127.0.0.1:4222 (a server with JetStream)")
	}
	return url
}

// Two deployments share one NATS server, each with its stream and subject
// prefix (BOLADAO_NATS_STREAM, BOLADAO_NATS_SUBJECT_PREFIX): the events of
// each land in its own stream only.
func TestServeNATSNamespace(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)

	type deployment struct {
		stream, prefix string
		s              *server
	}
	var deps []deployment
	for range 2 {
		name := "CMD" + strings.ToUpper(rand.Text()[:10])
		d := deployment{stream: name, prefix: "t." + strings.ToLower(name)}
		t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
		d.s = launch(t, map[string]string{"BOLADAO_DATABASE_URL": "memory:", "BOLADAO_ADMIN_PASSWORD": "admin-password-1",
			"BOLADAO_BCRYPT_COST": "4", "BOLADAO_NATS_URL": url, "BOLADAO_NATS_STREAM": d.stream, "BOLADAO_NATS_SUBJECT_PREFIX": d.prefix})
		deps = append(deps, d)
	}

	a := deps[0]
	root := a.s.login(t, "admin@boladao.local", "admin-password-1")
	status, body := a.s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "Acme"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var co struct{ ID int64 }
	require.NoError(t, json.Unmarshal(body, &co))
	company := strconv.FormatInt(co.ID, 10)
	status, body = a.s.callIn(t, "POST", "/api/integrations/events/publish", root, company,
		map[string]any{"type": "custom.ping", "data": map[string]int{"n": 1}})
	require.Equal(t, http.StatusAccepted, status, "%s", body)

	for i, d := range deps {
		st, err := js.Stream(t.Context(), d.stream)
		require.NoError(t, err, "the deployment created its stream")
		require.Equal(t, []string{d.prefix + ".>"}, st.CachedInfo().Config.Subjects)
		if i == 0 {
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				msg, err := st.GetLastMsgForSubject(t.Context(), d.prefix+"."+company+".custom.ping")
				if assert.NoError(c, err) {
					assert.Contains(c, string(msg.Data), `"custom.ping"`)
				}
			}, 10*time.Second, 20*time.Millisecond, "the event went to this deployment's stream, under its prefix")
			continue
		}
		_, err = st.GetLastMsgForSubject(t.Context(), d.prefix+".*.custom.ping")
		require.ErrorIs(t, err, jetstream.ErrMsgNotFound, "the other deployment's stream holds none of its events")
	}
}

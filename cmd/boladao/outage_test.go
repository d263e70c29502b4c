package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// TestServeSurvivesPostgresOutage serves on PostgreSQL through a proxy
// that the test cuts, as a stopped or unreachable server would be: requests
// fail at once with a 503 problem (no hang), each logged on one ERROR line,
// /ready reports the database, and the server recovers by itself when the
// database comes back.
func TestServeSurvivesPostgresOutage(t *testing.T) {
	t.Parallel()
	proxy, dbURL := bunstoretest.NewProxy(t, bunstoreTestPostgres(t))
	s := launch(t, map[string]string{"BOLADAO_DATABASE_URL": dbURL, "BOLADAO_ADMIN_PASSWORD": "admin-password-1",
		"BOLADAO_BCRYPT_COST": "4", "BOLADAO_JWT_SECRET": strings.Repeat("s", 40)})
	root := s.login(t, "admin@boladao.local", "admin-password-1")
	status, body := s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "Before"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
	status, body = s.call(t, "GET", "/ready", "", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)

	proxy.Cut()
	client := &http.Client{Timeout: 5 * time.Second} // pgdriver's own timeouts are longer: failing within it is failing fast
	req, err := http.NewRequestWithContext(t.Context(), "POST", s.base+"/admin/api/companies", strings.NewReader(`{"name":"During"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+root)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err, "the request fails fast instead of hanging")
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s", raw)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	var problem struct{ Type, Detail string }
	require.NoError(t, json.Unmarshal(raw, &problem))
	require.True(t, strings.HasSuffix(problem.Type, "/unavailable"), problem.Type)
	require.Contains(t, problem.Detail, "database")
	requestID := resp.Header.Get("X-Request-ID")
	require.NotEmpty(t, requestID)

	status, body = s.call(t, "GET", "/ready", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, status, "%s", body)
	require.Contains(t, string(body), "database")

	// The failed request is logged once, at ERROR, with its error.
	var lines []map[string]any
	for _, line := range bytes.Split([]byte(s.out.String()), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["request_id"] == requestID && m["level"] == "ERROR" {
			lines = append(lines, m)
		}
	}
	require.Len(t, lines, 1, "one ERROR line for the failed request:\n%s", s.out.String())
	require.Contains(t, lines[0]["error"], "database unavailable")
	require.EqualValues(t, http.StatusServiceUnavailable, lines[0]["status"])

	proxy.Restore(t)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		status, body := s.call(t, "GET", "/ready", "", nil)
		assert.Equal(c, http.StatusOK, status, "%s", body)
	}, 15*time.Second, 50*time.Millisecond, "the server recovers by itself")
	status, body = s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "After"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
}

// TestServeSurvivesTerminatedSessionsUnderLoad ends the server's PostgreSQL
// sessions (pg_terminate_backend) several times while clients write and
// read: every request either succeeds or fails with a 503 problem (never a
// 500 or a hang), and the server goes on serving without a restart.
func TestServeSurvivesTerminatedSessionsUnderLoad(t *testing.T) {
	t.Parallel()
	app := "boladao_load_" + strings.ToLower(rand.Text()[:8])
	s := launch(t, map[string]string{"BOLADAO_DATABASE_URL": bunstoreTestPostgres(t) + "&application_name=" + app,
		"BOLADAO_ADMIN_PASSWORD": "admin-password-1", "BOLADAO_BCRYPT_COST": "4", "BOLADAO_JWT_SECRET": strings.Repeat("s", 40),
		// One principal sends every request, as fast as the server answers:
		// the per-principal limit must not be what the test measures.
		"BOLADAO_API_RATE": "100000", "BOLADAO_API_BURST": "100000"})
	root := s.login(t, "admin@boladao.local", "admin-password-1")
	admin, err := bunstore.Open(t.Context(), bunstoretest.PostgresDSN(t), bunstore.WithoutMigrations())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })

	const clients, perClient, terminations = 4, 60, 3
	var (
		done     atomic.Int64
		mu       sync.Mutex
		statuses = map[int]int{}
		bad      []string
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				method, path, body := "GET", "/admin/api/companies?limit=5", ""
				if i%2 == 0 {
					method, path, body = "POST", "/admin/api/companies", fmt.Sprintf(`{"name":"Load %d-%d"}`, c, i)
				}
				req, err := http.NewRequestWithContext(t.Context(), method, s.base+path, strings.NewReader(body))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Authorization", "Bearer "+root)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := client.Do(req)
				mu.Lock()
				if err != nil {
					bad = append(bad, fmt.Sprintf("%s %s: %v", method, path, err))
				} else {
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					statuses[resp.StatusCode]++
					if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusServiceUnavailable {
						bad = append(bad, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, raw))
					}
				}
				mu.Unlock()
				done.Add(1)
			}
		})
	}
	ended := 0
	for k := 1; k <= terminations; k++ {
		// Terminate at fixed shares of the requests, whatever their pace.
		for done.Load() < int64(k*clients*perClient/(terminations+1)) {
			runtime.Gosched()
		}
		n, err := bunstoretest.TerminateBackends(t.Context(), admin.DB(), app)
		require.NoError(t, err)
		ended += n
	}
	wg.Wait()
	t.Logf("statuses %v, %d sessions terminated", statuses, ended)
	require.Positive(t, ended)
	require.Empty(t, bad, "every request succeeds or fails with 503")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		status, body := s.call(t, "GET", "/ready", "", nil)
		assert.Equal(c, http.StatusOK, status, "%s", body)
	}, 15*time.Second, 50*time.Millisecond)
	status, body := s.call(t, "POST", "/admin/api/companies", root, map[string]string{"name": "After"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
}

package natsbus_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestMain keeps one stream of its own on the test server while the tests
// run. The tests create and delete streams in parallel, and nats-server
// removes an account's store directory when its last stream is deleted: a
// stream created at that moment fails with "could not create storage
// directory" (seen on CI). With a stream that outlives them all, the
// directory stays.
func TestMain(m *testing.M) {
	os.Exit(runKeepingAStream(m))
}

func runKeepingAStream(m *testing.M) int {
	url := os.Getenv(URLVariable)
	if url == "" {
		return m.Run()
	}
	nc, err := nats.Connect(url)
	if err != nil {
		return m.Run() // connect reports the unreachable server in each test
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return m.Run()
	}
	name := "KEEP" + strings.ToUpper(nats.NewInbox()[7:19])
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"keep." + name}}); err == nil {
		defer func() { _ = js.DeleteStream(ctx, name) }()
	}
	return m.Run()
}

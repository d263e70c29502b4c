package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// idOf reads the "id" of a 2xx answer's body (0 otherwise).
func idOf(r response) int64 {
	if !r.ok() {
		return 0
	}
	var out struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(r.body, &out)
	return out.ID
}

// maxSeq is the last outbox position of company's events.
func maxSeq(ctx context.Context, db *database, company int64) (int64, error) {
	st, err := db.open(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	if err := st.DB().QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE company_id = ?", company).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the outbox: %w", err)
	}
	return n, nil
}

// deleteStream deletes a JetStream stream the harness created.
func deleteStream(url, stream string) error {
	nc, err := nats.Connect(url, nats.Name("boladao-chaos"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		return err
	}
	return js.DeleteStream(stream)
}

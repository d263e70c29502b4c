package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return memory.New() })
}

// notes is an embedder's own in-memory storage beside the store.
type notes struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (n *notes) Write(_ context.Context, tx any, key string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.keys[key] {
		return fmt.Errorf("note %q exists", key)
	}
	n.keys[key] = true
	return memory.OnRollback(tx, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.keys, key)
	})
}

func (n *notes) Has(_ context.Context, key string) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.keys[key], nil
}

func TestUnitOfWork(t *testing.T) {
	storagetest.RunUnitOfWork(t, func(t *testing.T) storagetest.Backend { return memory.New() },
		func(*testing.T, storagetest.Backend) storagetest.Own { return &notes{keys: map[string]bool{}} })
}

func TestOnRollbackRefusesOtherValues(t *testing.T) {
	require.ErrorContains(t, memory.OnRollback(struct{}{}, func() {}), "not a unit of work")
}

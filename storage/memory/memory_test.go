package memory_test

import (
	"testing"

	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return memory.New() })
}

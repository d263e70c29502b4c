package memory

import "fmt"

// OnRollback registers undo to run if the unit of work unit (the tx that
// Desk.InTx and the stores' InTx pass to their callback) is rolled back:
// an embedder's own in-memory writes made inside it are undone with
// Boladão's rows and events. Undo functions run in reverse order of
// registration, under the store's write lock; they must not call the store.
func OnRollback(unit any, undo func()) error {
	x, ok := unit.(*tx)
	if !ok {
		return fmt.Errorf("memory: %T is not a unit of work of this backend", unit)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done {
		return errTxDone()
	}
	x.onRollback(undo)
	return nil
}

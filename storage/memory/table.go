package memory

import "slices"

// table holds the rows of one table by ID, with the IDs kept in ascending
// order for keyset scans, and the counter that assigns new IDs.
type table[ID ~int64, Row any] struct {
	last ID // the last ID handed out; never decremented
	rows map[ID]Row
	ids  []ID // ascending
}

func newTable[ID ~int64, Row any]() *table[ID, Row] {
	return &table[ID, Row]{rows: make(map[ID]Row)}
}

// allocate returns a fresh ID. IDs are never reused, even when the insert
// that took one is rolled back.
func (t *table[ID, Row]) allocate() ID {
	t.last++
	return t.last
}

func (t *table[ID, Row]) get(id ID) (Row, bool) {
	r, ok := t.rows[id]
	return r, ok
}

// put inserts or replaces the row with the given ID.
func (t *table[ID, Row]) put(id ID, r Row) {
	if _, ok := t.rows[id]; !ok {
		if n := len(t.ids); n == 0 || t.ids[n-1] < id {
			t.ids = append(t.ids, id) // the usual case: a fresh, largest ID
		} else {
			i, _ := slices.BinarySearch(t.ids, id)
			t.ids = slices.Insert(t.ids, i, id)
		}
	}
	t.rows[id] = r
}

// remove deletes the row with the given ID, if present.
func (t *table[ID, Row]) remove(id ID) {
	if _, ok := t.rows[id]; !ok {
		return
	}
	delete(t.rows, id)
	if i, found := slices.BinarySearch(t.ids, id); found {
		t.ids = slices.Delete(t.ids, i, i+1)
	}
}

// scan calls fn for each row with an ID greater than after, in ascending ID
// order, until fn returns false.
func (t *table[ID, Row]) scan(after ID, fn func(Row) bool) {
	i, found := slices.BinarySearch(t.ids, after)
	if found {
		i++
	}
	for _, id := range t.ids[i:] {
		if !fn(t.rows[id]) {
			return
		}
	}
}

// scanDesc calls fn for each row with an ID less than before (every row
// when before is zero), in descending ID order, until fn returns false.
func (t *table[ID, Row]) scanDesc(before ID, fn func(Row) bool) {
	i := len(t.ids)
	if before > 0 {
		i, _ = slices.BinarySearch(t.ids, before)
	}
	for j := i - 1; j >= 0; j-- {
		if !fn(t.rows[t.ids[j]]) {
			return
		}
	}
}

// listDesc is list in descending ID order: the cursor holds the last ID of
// the previous page, and the page continues below it.
func listDesc[ID ~int64, Row any](t *table[ID, Row], before int64, limit int, keep func(Row) bool, clone func(Row) Row) []Row {
	out := make([]Row, 0, min(limit+1, len(t.ids)))
	t.scanDesc(ID(before), func(r Row) bool {
		if keep(r) {
			out = append(out, clone(r))
		}
		return len(out) <= limit
	})
	return out
}

// list collects one keyset page of the rows after the cursor that match
// keep, fetching limit+1 rows so the caller can build the page with
// storage.PageOf.
func list[ID ~int64, Row any](t *table[ID, Row], after int64, limit int, keep func(Row) bool, clone func(Row) Row) []Row {
	out := make([]Row, 0, min(limit+1, len(t.ids)))
	t.scan(ID(after), func(r Row) bool {
		if keep(r) {
			out = append(out, clone(r))
		}
		return len(out) <= limit
	})
	return out
}

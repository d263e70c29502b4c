package memory

import (
	"context"
	"errors"
	"fmt"
)

// Setting returns the value of the installation setting name, creating it
// with generate when it does not exist yet, atomically: concurrent callers
// all get the value stored first. Settings live as long as the store, like
// everything else in it.
func (s *Store) Setting(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	if name == "" {
		return "", errors.New("memory: setting name is empty")
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("memory: reading setting %q: %w", name, err)
	}
	s.mu.RLock()
	v, ok := s.t.settings[name]
	s.mu.RUnlock()
	if ok {
		return v, nil
	}
	generated, err := generate()
	if err != nil {
		return "", fmt.Errorf("memory: generating setting %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.t.settings[name]; ok {
		return v, nil
	}
	s.t.settings[name] = generated
	return generated, nil
}

// Package examples holds runnable programs that embed Boladão, one per
// directory. The test in this package builds and runs each of them and
// compares what it prints with the expected_output.txt beside it, so the
// examples never rot.
package examples

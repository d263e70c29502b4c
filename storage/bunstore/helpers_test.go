package bunstore_test

import "github.com/uptrace/bun"

func bunIdent(s string) bun.Ident { return bun.Ident(s) }

package webui

// ShippedBytes returns the total gzip-compressed size of the scripts and
// stylesheets the console serves (every embedded .js and .css file, each
// compressed as the console sends it), for the page-weight budget that
// cmd/boladao-bench reports.
func ShippedBytes() (int, error) {
	s, err := newStaticFiles()
	if err != nil {
		return 0, err
	}
	return s.compressedSize(), nil
}

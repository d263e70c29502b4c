package webui

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/sistemaboladao/boladao/inventory"
)

func (c *console) labelRoutes() {
	c.page("GET /assets/labels", c.labels)
	c.page("GET /assets/{id}/qr.png", c.assetQR)
}

// LabelsPerSheet is how many labels fit one A4 sheet: 3 columns of 70 mm
// by 8 rows of 37 mm (the common 24-up A4 label sheet).
const LabelsPerSheet = 24

// maxLabels bounds one labels page (one batch at most).
const maxLabels = inventory.MaxQuantity

// label is one printed label: the serial as text and as a QR code.
type label struct {
	Asset inventory.Asset
	// QR is the serial's QR code as a PNG data URL.
	QR template.URL
}

// labelsPage is the view model of the labels page: the labels cut into A4
// sheets.
type labelsPage struct {
	Sheets [][]label
	Count  int
	// Back is where the page was opened from.
	Back string
}

// qrPNG encodes a serial as a QR code PNG (medium error correction, 256
// pixels: printed at 26 mm it stays readable by phone cameras).
func qrPNG(serial string) ([]byte, error) {
	return qrcode.Encode(serial, qrcode.Medium, 256)
}

// labels renders printable labels for a batch (?stock=ID) or chosen assets
// (?id=1&id=2…), 24 to an A4 sheet; the print stylesheet prints the sheets
// alone.
func (c *console) labels(w http.ResponseWriter, r *http.Request, q *request) error {
	v := r.URL.Query()
	var assets []inventory.Asset
	p := labelsPage{Back: c.path("/assets")}
	if s := v.Get("stock"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		if _, err := c.desk.Inventory.GetStockItem(q.Context(), q.actor, id); err != nil {
			return err
		}
		if assets, err = c.batchAssets(q, id); err != nil {
			return err
		}
		p.Back = c.path("/stock/" + strconv.FormatInt(id, 10))
	}
	for i, s := range v["id"] {
		if i >= maxLabels {
			break
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		a, err := c.desk.Inventory.GetAsset(q.Context(), q.actor, id)
		if err != nil {
			return err
		}
		assets = append(assets, a)
	}
	if len(assets) == 0 {
		return errNotFound
	}
	p.Count = len(assets)
	var sheet []label
	for _, a := range assets {
		png, err := qrPNG(a.Serial)
		if err != nil {
			return fmt.Errorf("QR code of %s: %w", a.Serial, err)
		}
		// A data URL the console made from its own PNG: safe to mark.
		sheet = append(sheet, label{Asset: a, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
		if len(sheet) == LabelsPerSheet {
			p.Sheets, sheet = append(p.Sheets, sheet), nil
		}
	}
	if len(sheet) > 0 {
		p.Sheets = append(p.Sheets, sheet)
	}
	c.render(w, q, http.StatusOK, "labels", p)
	return nil
}

// assetQR serves an asset's serial as a QR code PNG.
func (c *console) assetQR(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := assetID(r)
	if err != nil {
		return err
	}
	a, err := c.desk.Inventory.GetAsset(q.Context(), q.actor, id)
	if err != nil {
		return err
	}
	png, err := qrPNG(a.Serial)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(png)
	return nil
}

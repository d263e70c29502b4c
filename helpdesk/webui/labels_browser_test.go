package webui_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/inventory"
)

// decodeQR reads the text of the QR code in a PNG.
func decodeQR(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	return res.GetText()
}

// pdfPages counts the pages of a PDF (its /Type /Page objects).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestBrowserLabels prints the labels of a 30-unit batch: two A4 sheets,
// 24 labels on the first and 6 on the second, in Chromium's print-to-PDF
// too; every QR code decodes back to its serial, from the PNG the page
// embeds and from a screenshot of the printed label.
func TestBrowserLabels(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	st, assets, err := f.desk.Inventory.Intake(t.Context(), f.agent.actor(), inventory.IntakeInput{Name: "Monitor LG 24",
		Category: "Monitor", Quantity: 30, Location: "Sede"})
	require.NoError(t, err)

	b := newBrowser(t)
	tb := b.tab("agent", f.srv.URL)
	tb.signIn(f.agent)
	tb.visit("/stock/"+itoa(st.ID), "batch")
	tb.submit("[data-testid=print-labels]")
	tb.check("labels")
	counts := get(tb, chromedp.Evaluate[[]int](`[...document.querySelectorAll("[data-testid=sheet]")].map(s => s.querySelectorAll(".label").length)`))
	require.Equal(t, []int{webui.LabelsPerSheet, 30 - webui.LabelsPerSheet}, counts)

	type labelData struct {
		Serial string `json:"serial"`
		Src    string `json:"src"`
	}
	labels := get(tb, chromedp.Evaluate[[]labelData](`[...document.querySelectorAll(".label")].map(l => ({serial: l.dataset.serial, src: l.querySelector("img").src}))`))
	require.Len(t, labels, len(assets))
	for i, l := range labels {
		require.Equal(t, assets[i].Serial, l.Serial)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(l.Src, "data:image/png;base64,"))
		require.NoError(t, err)
		require.Equal(t, l.Serial, decodeQR(t, raw), "label %d", i)
	}

	// In print media the sheets alone print, one per A4 page, each label
	// 70 × 37 mm inside its page.
	_, err = chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	require.NoError(t, err)
	type box struct {
		Sheet  int     `json:"sheet"`
		Top    float64 `json:"top"`
		Left   float64 `json:"left"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	}
	// Millimetres from the sheet's top-left corner, at CSS's 96 px per
	// inch.
	boxes := get(tb, chromedp.Evaluate[[]box](`(() => {
		const mm = 25.4 / 96, out = [];
		document.querySelectorAll("[data-testid=sheet]").forEach((s, i) => {
			const r0 = s.getBoundingClientRect();
			out.push({sheet: i, top: -1, left: -1, width: r0.width * mm, height: r0.height * mm});
			s.querySelectorAll(".label").forEach(l => {
				const r = l.getBoundingClientRect();
				out.push({sheet: i, top: (r.top - r0.top) * mm, left: (r.left - r0.left) * mm, width: r.width * mm, height: r.height * mm});
			});
		});
		return out;
	})()`))
	perSheet := map[int]int{}
	for _, bx := range boxes {
		if bx.Top < 0 { // the sheet itself: one A4 page
			require.InDelta(t, 210, bx.Width, 0.5)
			require.InDelta(t, 297, bx.Height, 0.5)
			continue
		}
		perSheet[bx.Sheet]++
		require.InDelta(t, 70, bx.Width, 0.5)
		require.InDelta(t, 37, bx.Height, 0.5)
		require.LessOrEqual(t, bx.Left+bx.Width, 210.5, "a label inside the sheet's width")
		require.LessOrEqual(t, bx.Top+bx.Height, 297.5, "a label inside the sheet's height")
	}
	require.Equal(t, map[int]int{0: 24, 1: 6}, perSheet)
	require.False(t, get(tb, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("header.site")).display !== "none"`)),
		"the console's header does not print")

	yes := true
	pdf, err := chromedp.Call(tb.ctx, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &yes, PreferCSSPageSize: &yes})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(t.ArtifactDir(), "labels.pdf"), pdf.Data, 0o644))
	require.Len(t, pdfPage.FindAll(pdf.Data, -1), 2, "30 labels print on two A4 pages")

	// A printed label's QR code, photographed, decodes to its serial.
	shot := get(tb, chromedp.ScreenshotScale(chromedp.CSS(`.label[data-serial="`+assets[25].Serial+`"] img`), 2))
	require.Equal(t, assets[25].Serial, decodeQR(t, shot))
	_, err = chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	require.NoError(t, err)

	tb.phone()
	tb.visit("/assets/labels?stock="+itoa(st.ID), "phone-labels")
}

// TestLabelQRPNG serves an asset's QR code as a PNG that decodes to its
// serial; another company's asset is not found.
func TestLabelQRPNG(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	_, assets, err := f.desk.Inventory.Intake(t.Context(), f.agent.actor(), inventory.IntakeInput{Name: "Leitor",
		Category: "Periférico", Quantity: 1})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.viewer)
	resp := cl.get("/assets/" + itoa(assets[0].ID) + "/qr.png")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, assets[0].Serial, decodeQR(t, body))

	out := f.client(t)
	out.signIn(f.outsider)
	require.Equal(t, http.StatusNotFound, out.get("/assets/"+itoa(assets[0].ID)+"/qr.png").StatusCode)
	require.Equal(t, http.StatusNotFound, out.get("/assets/labels?id="+itoa(assets[0].ID)).StatusCode)
}

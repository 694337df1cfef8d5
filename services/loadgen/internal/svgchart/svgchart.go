// Package svgchart writes small horizontal bar charts as standalone SVG,
// enough for the benchmark page (no dependencies).
package svgchart

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Bar is one bar of a panel.
type Bar struct {
	Label string
	Value float64
	// Color is an SVG color; default steelblue.
	Color string
}

// Panel is a titled group of bars sharing one scale.
type Panel struct {
	Title string
	Unit  string
	Bars  []Bar
}

const (
	width    = 760
	labelW   = 230
	barH     = 22
	gap      = 6
	titleH   = 30
	panelGap = 18
)

// Write renders panels one below the other with a chart title.
func Write(w io.Writer, title string, panels []Panel) error {
	h := 40
	for _, p := range panels {
		h += titleH + len(p.Bars)*(barH+gap) + panelGap
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, h, width, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	y := 40
	for _, p := range panels {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", y+18, html.EscapeString(p.Title+" ("+p.Unit+")"))
		y += titleH
		maxV := 0.0
		for _, bar := range p.Bars {
			maxV = math.Max(maxV, bar.Value)
		}
		if maxV <= 0 {
			maxV = 1
		}
		scale := float64(width-labelW-90) / maxV
		for _, bar := range p.Bars {
			c := bar.Color
			if c == "" {
				c = "steelblue"
			}
			bw := math.Max(1, bar.Value*scale)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+barH-6, html.EscapeString(bar.Label))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelW, y, bw, barH, c)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(labelW)+bw+6, y+barH-6, format(bar.Value))
			y += barH + gap
		}
		y += panelGap
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func format(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

package transform

import (
	"cmp"
	"slices"
)

// CatalogEntry is one event type a mapping set can emit: the profile's
// "catalogued types", known before any payload arrives.
type CatalogEntry struct {
	Type       string `json:"type"`
	DataSchema string `json:"dataschema,omitempty"`
	SchemaFile string `json:"schema_file,omitempty"` // the local schema data is validated against
	Provider   string `json:"provider"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Rule       string `json:"rule"`
}

// Catalog lists every type the set can emit, sorted by type, then file and
// line (two rules may emit one type).
func (s *Set) Catalog() []CatalogEntry {
	var out []CatalogEntry
	for _, p := range s.Providers() {
		m := s.mappings[p]
		for _, r := range m.rules {
			if r.Drop {
				continue
			}
			out = append(out, CatalogEntry{Type: r.Type, DataSchema: r.DataSchema, SchemaFile: r.SchemaFile,
				Provider: p, File: m.File, Line: r.Line, Rule: r.Name})
		}
	}
	slices.SortFunc(out, func(a, b CatalogEntry) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return out
}

package gateway

import (
	"bytes"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// docIndex records where each key and table of a TOML document is, with array-of-tables
// elements numbered: "ping.1.targets" is the targets key of the second [[ping]] table. Load
// uses it to put a line number on errors found after decoding, to tell a key the file sets
// from one it leaves at its default, and to name keys with their indices.
type docIndex struct {
	lines   map[string]int // path → 1-based line of its key or table header
	entries []docEntry     // every key and table, in document order
	nl      []int          // offsets of '\n', for line numbers
}

// docEntry is one key-value or table header.
type docEntry struct {
	path  []string
	line  int
	kind  unstable.Kind // of the value, for a key-value; Table or ArrayTable for a header
	value string        // raw value text of a scalar key-value
}

// indexDocument indexes data as far as it parses; a syntax error ends the index there (the
// decoder reports it).
func indexDocument(data []byte) *docIndex {
	idx := &docIndex{lines: make(map[string]int)}
	for i, c := range data {
		if c == '\n' {
			idx.nl = append(idx.nl, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	counts := make(map[string]int) // array-of-tables path → elements seen
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			idx.keyValue(&p, table, e)
		case unstable.Table, unstable.ArrayTable:
			table = idx.header(e, counts)
		}
	}
	return idx
}

// line returns the 1-based line of a byte offset.
func (idx *docIndex) line(offset uint32) int {
	return sort.SearchInts(idx.nl, int(offset)) + 1
}

func (idx *docIndex) record(path []string, line int, kind unstable.Kind, value string) {
	k := strings.Join(path, ".")
	if _, ok := idx.lines[k]; !ok {
		idx.lines[k] = line
	}
	idx.entries = append(idx.entries, docEntry{path: path, line: line, kind: kind, value: value})
}

// header resolves a [table] or [[table]] header to its indexed path. A part naming an array of
// tables refers to its last element, as in TOML; the last part of a [[header]] starts a new
// element.
func (idx *docIndex) header(e *unstable.Node, counts map[string]int) []string {
	var path []string
	line := 0
	it := e.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = idx.line(k.Raw.Offset)
		}
		path = append(path, string(k.Data))
		key := strings.Join(path, ".")
		if it.IsLast() && e.Kind == unstable.ArrayTable {
			n := counts[key]
			counts[key] = n + 1
			if _, ok := idx.lines[key]; !ok {
				idx.lines[key] = line
			}
			path = append(path, strconv.Itoa(n))
			break
		}
		if n, ok := counts[key]; ok {
			path = append(path, strconv.Itoa(n-1))
		}
	}
	idx.record(path, line, e.Kind, "")
	return path
}

// keyValue records a (possibly dotted) key and, for inline tables and arrays of them, the
// keys inside.
func (idx *docIndex) keyValue(p *unstable.Parser, table []string, e *unstable.Node) {
	path := append([]string(nil), table...)
	line := 0
	it := e.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = idx.line(k.Raw.Offset)
		}
		path = append(path, string(k.Data))
		if !it.IsLast() { // the implicit tables of a dotted key
			if _, ok := idx.lines[strings.Join(path, ".")]; !ok {
				idx.lines[strings.Join(path, ".")] = line
			}
		}
	}
	v := e.Value()
	var raw string
	switch v.Kind {
	case unstable.Array, unstable.InlineTable:
	default:
		raw = string(bytes.TrimSpace(p.Raw(v.Raw)))
	}
	idx.record(path, line, v.Kind, raw)
	switch v.Kind {
	case unstable.InlineTable:
		idx.inline(p, path, v)
	case unstable.Array:
		i := 0
		for el := v.Children(); el.Next(); i++ {
			if n := el.Node(); n.Kind == unstable.InlineTable {
				elem := append(append([]string(nil), path...), strconv.Itoa(i))
				idx.record(elem, idx.line(n.Raw.Offset), unstable.InlineTable, "")
				idx.inline(p, elem, n)
			}
		}
	}
}

func (idx *docIndex) inline(p *unstable.Parser, path []string, n *unstable.Node) {
	for kv := n.Children(); kv.Next(); {
		if c := kv.Node(); c.Kind == unstable.KeyValue {
			idx.keyValue(p, path, c)
		}
	}
}

// has reports whether the document sets path (a key, a table or anything inside it).
func (idx *docIndex) has(path ...string) bool {
	_, ok := idx.lines[strings.Join(path, ".")]
	return ok
}

// lineOf returns the line of path, or of its closest enclosing table the document has (for
// a key left at its default), or 0.
func (idx *docIndex) lineOf(path []string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := idx.lines[strings.Join(path[:n], ".")]; ok {
			return l
		}
	}
	return 0
}

// find returns the entry at line whose path without indices is key (as go-toml reports
// keys), or else ends with key (go-toml reports some keys relative to their table).
func (idx *docIndex) find(line int, key []string) (docEntry, bool) {
	var suffix *docEntry
	for i := len(idx.entries) - 1; i >= 0; i-- {
		e := &idx.entries[i]
		if e.line != line {
			continue
		}
		p := withoutIndices(e.path)
		if slices.Equal(p, key) {
			return *e, true
		}
		if suffix == nil && len(key) > 0 && len(p) > len(key) && slices.Equal(p[len(p)-len(key):], key) {
			suffix = e
		}
	}
	if suffix != nil {
		return *suffix, true
	}
	return docEntry{}, false
}

func withoutIndices(path []string) []string {
	out := make([]string, 0, len(path))
	for _, p := range path {
		if !isIndex(p) {
			out = append(out, p)
		}
	}
	return out
}

// typeAt returns the Go type that path decodes into within t, following toml tags, or nil.
func typeAt(t reflect.Type, path []string) reflect.Type {
	for _, p := range path {
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			if !isIndex(p) {
				return nil
			}
			t = t.Elem()
		case reflect.Struct:
			f, ok := fieldByTag(t, p)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	return t
}

// fieldByTag returns the field of struct type t whose toml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tomlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// tomlName returns the key of a struct field: its toml tag's name, or "" to skip it.
func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

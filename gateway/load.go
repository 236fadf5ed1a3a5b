package gateway

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/serial"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// Load reads the TOML file at path and returns its Config: every key the file leaves out at
// its default, every value validated. An unknown key, a value of the wrong type or a value
// out of range is a *ConfigError naming path, the line and the key, for example
//
//	surgemq.toml:12: broker.max_inflight: 0 is not within 1-65535
//
// Several problems are joined (errors.Join), one per line. A file without [[ping]] or
// [[serial]] tables runs no adapter (unlike Default).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// Parse is Load for a document already in memory; name is used in errors.
func Parse(name string, data []byte) (Config, error) {
	idx := indexDocument(data)
	var got Config
	if err := decodeStrict(data, &got); err != nil {
		return Config{}, decodeError(name, idx, err)
	}
	cfg := base()
	merge(reflect.ValueOf(&cfg).Elem(), reflect.ValueOf(got), idx, nil)
	errs := cfg.validate()
	if len(errs) == 0 {
		return cfg, nil
	}
	for _, e := range errs {
		e.File, e.Line = name, idx.lineOf(e.path)
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return Config{}, errors.Join(joined...)
}

// decodeStrict decodes data into v; a key v has no field for is an error.
func decodeStrict(data []byte, v any) error {
	return toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(v)
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// isLeaf reports whether values of t are single TOML values even when t is a struct
// (adapters.Duration).
func isLeaf(t reflect.Type) bool {
	return t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(textUnmarshaler)
}

// elemDefault is the default of one element of an array of tables.
func elemDefault(t reflect.Type) reflect.Value {
	switch t {
	case reflect.TypeFor[pingmq.Config]():
		return reflect.ValueOf(pingDefault())
	case reflect.TypeFor[serial.Config]():
		return reflect.ValueOf(serialDefault())
	}
	return reflect.Zero(t)
}

// merge copies into def (a struct holding defaults) every field of got (the same struct as
// decoded) whose key the document sets, so keys the document leaves out keep their
// defaults, in tables and in every element of an array of tables alike.
func merge(def, got reflect.Value, idx *docIndex, path []string) {
	t := def.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" {
			continue
		}
		p := append(append([]string(nil), path...), name)
		if !idx.has(p...) {
			continue
		}
		dv, gv := def.Field(i), got.Field(i)
		switch {
		case isLeaf(f.Type) && f.Type.Kind() != reflect.Slice:
			dv.Set(gv)
		case f.Type.Kind() == reflect.Struct:
			merge(dv, gv, idx, p)
		case f.Type.Kind() == reflect.Slice && !isLeaf(f.Type.Elem()):
			out := reflect.MakeSlice(f.Type, gv.Len(), gv.Len())
			for j := range gv.Len() {
				el := out.Index(j)
				el.Set(elemDefault(f.Type.Elem()))
				merge(el, gv.Index(j), idx, append(append([]string(nil), p...), fmt.Sprint(j)))
			}
			dv.Set(out)
		default:
			dv.Set(gv)
		}
	}
}

// decodeError turns go-toml's errors into *ConfigErrors with the file, line and indexed key.
func decodeError(name string, idx *docIndex, err error) error {
	var se *toml.StrictMissingError
	if errors.As(err, &se) {
		errs := make([]error, 0, len(se.Errors))
		for i := range se.Errors {
			de := &se.Errors[i]
			line, _ := de.Position()
			ce := &ConfigError{File: name, Line: line, Key: strings.Join(de.Key(), "."), Err: errors.New("unknown key")}
			if e, ok := idx.find(line, de.Key()); ok {
				ce.Key = displayKey(e.path)
				if e.kind == unstable.Table || e.kind == unstable.ArrayTable {
					ce.Err = errors.New("unknown table")
				}
			}
			errs = append(errs, ce)
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		ce := &ConfigError{File: name, Line: line, Key: strings.Join(de.Key(), "."), Err: errors.New(msg)}
		if e, ok := idx.find(line, de.Key()); ok {
			ce.Key = displayKey(e.path)
			ce.Err = describe(e, msg)
		}
		return ce
	}
	// go-toml hands a non-string value to a text field (a duration) and returns its error
	// without a position: find the value.
	for _, e := range idx.entries {
		t := typeAt(reflect.TypeFor[Config](), e.path)
		if e.kind == unstable.String || e.kind == unstable.Table || e.kind == unstable.ArrayTable ||
			t == nil || !isLeaf(t) || t.Kind() != reflect.Struct {
			continue
		}
		return &ConfigError{File: name, Line: e.line, Key: displayKey(e.path),
			Err: fmt.Errorf("want %s, got %s", want(t), e.value)}
	}
	return &ConfigError{File: name, Err: err}
}

var (
	typeMismatch = regexp.MustCompile(`^cannot decode TOML (\w+) into `)
	outOfRange   = regexp.MustCompile(`^integer value (\S+) cannot be stored in `)
)

// describe rewrites go-toml's message about the value of e in the terms of the file: what
// the key wants and what it got, without Go type names.
func describe(e docEntry, msg string) error {
	if m := outOfRange.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s is out of range", m[1])
	}
	m := typeMismatch.FindStringSubmatch(msg)
	if m == nil {
		return errors.New(msg)
	}
	w := want(typeAt(reflect.TypeFor[Config](), e.path))
	if w == "" {
		return errors.New(msg)
	}
	got := e.value
	switch {
	case e.kind == unstable.Array && m[1] != "array":
		got = "an array holding " + article(m[1])
	case got == "":
		got = article(m[1])
	}
	return fmt.Errorf("want %s, got %s", w, got)
}

// want describes the TOML value a Go type takes.
func want(t reflect.Type) string {
	if t == nil {
		return ""
	}
	if t == reflect.TypeFor[adapters.Duration]() {
		return `a duration string such as "30s"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct:
		return "a table"
	case reflect.Slice, reflect.Array:
		if !isLeaf(t.Elem()) {
			return "an array of tables"
		}
		if e := want(t.Elem()); e != "" {
			return "an array of " + plural(e)
		}
	}
	return ""
}

func article(noun string) string {
	if strings.ContainsAny(noun[:1], "aeiou") {
		return "an " + noun
	}
	return "a " + noun
}

// plural turns "a string" into "strings", "an integer" into "integers".
func plural(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "an "), "a ")
	if s == "true or false" {
		return "booleans"
	}
	if strings.HasPrefix(s, "duration string") {
		return "duration strings"
	}
	return s + "s"
}

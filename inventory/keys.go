package inventory

import (
	"fmt"
	"reflect"
)

// keysOf lists the key tags of a settings struct's fields, in field order:
// the keys its section of the file accepts.
func keysOf(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("key"); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// changedKeys compares two values of a settings struct field by field and
// returns one change per key whose value differs, named prefix.key. Every
// field with a key tag takes part, so a setting added to the struct is
// compared without anyone remembering to add it here. A pointer to a
// settings struct (tftp.uploads) is one setting: "off" when nil, else its
// fields written out.
func changedKeys(prefix string, a, b any) []fieldChange {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	var out []fieldChange
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("key")
		if key == "" {
			continue
		}
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(fa, fb) {
			continue
		}
		out = append(out, fieldChange{prefix + "." + key, describeSetting(va.Field(i)), describeSetting(vb.Field(i))})
	}
	return out
}

// describeSetting writes a setting's value for a log line.
func describeSetting(v reflect.Value) any {
	if v.Kind() != reflect.Pointer {
		return v.Interface()
	}
	if v.IsNil() {
		return "off"
	}
	e := v.Elem()
	if e.Kind() != reflect.Struct {
		return e.Interface()
	}
	s := ""
	for i := range e.NumField() {
		if k := e.Type().Field(i).Tag.Get("key"); k != "" {
			if s != "" {
				s += " "
			}
			s += fmt.Sprintf("%s=%v", k, e.Field(i).Interface())
		}
	}
	return s
}

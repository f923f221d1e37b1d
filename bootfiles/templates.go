package bootfiles

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"text/template"
)

// embedded holds the default templates, one per kind. It is read-only.
//
//go:embed templates/*.tmpl
var embedded embed.FS

// overrideDir is the folder under the TFTP root where an operator may put
// <kind>.tmpl (for every host) or <profile>/<kind>.tmpl (for the hosts of one
// profile) to replace a default template, e.g. a U-Boot script that prints a
// checksum before booting. Being under the root, overrides follow the root
// across reloads and need no setting of their own.
const overrideDir = ".bootyard"

// maxTemplateSize bounds an override read from disk.
const maxTemplateSize = 64 << 10

// templates is the parsed set of default templates.
type templates struct {
	byName map[string]*template.Template // by templateName
	err    error                         // a default that did not parse (a build mistake; tests catch it)
}

func defaultTemplates() *templates {
	t := &templates{byName: map[string]*template.Template{}}
	var names []string
	for _, k := range []kind{kindPXELinux, kindGRUB, kindIPXE, kindUBootScript, kindRPiConfig, kindRPiCmdline} {
		names = append(names, string(k))
		for _, v := range variants[k] {
			names = append(names, templateName(k, v))
		}
	}
	for _, name := range names {
		text, err := embedded.ReadFile("templates/" + name + ".tmpl")
		if err != nil {
			t.err = errors.Join(t.err, err)
			continue
		}
		p, err := parseTemplate(name, string(text))
		if err != nil {
			t.err = errors.Join(t.err, err)
			continue
		}
		t.byName[name] = p
	}
	return t
}

func parseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"grubquote": grubQuote,
		"grubargs":  grubArgs,
		"hushquote": hushQuote,
	}).Parse(text)
}

// render produces the bytes of a generated file: the template for the
// request's kind (an override under root when there is one, else the
// default) executed with d; U-Boot scripts are then wrapped in a uImage.
// root may be nil (no TFTP root): defaults only.
func (t *templates) render(root *os.Root, req request, v variant, d templateData) ([]byte, error) {
	tmpl, err := t.lookup(root, templateName(req.kind, v), d.Profile)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("template %s: %w", tmpl.Name(), err)
	}
	if req.kind == kindUBootScript {
		return UImageScript("bootyard "+d.Host, b.Bytes()), nil
	}
	return b.Bytes(), nil
}

// lookup picks the template named name (templateName: a kind and its
// variant): the profile's override, the root-wide override, then the
// embedded default.
func (t *templates) lookup(root *os.Root, name string, profile string) (*template.Template, error) {
	if root != nil {
		var files []string
		if profile != "" && fs.ValidPath(profile) && !strings.Contains(profile, "/") {
			files = append(files, path.Join(overrideDir, profile, name+".tmpl"))
		}
		files = append(files, path.Join(overrideDir, name+".tmpl"))
		for _, file := range files {
			text, err := readSmall(root, file)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("template override %s: %w", file, err)
			}
			p, err := parseTemplate(file, text)
			if err != nil {
				return nil, fmt.Errorf("template override: %w", err)
			}
			return p, nil
		}
	}
	if p, ok := t.byName[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("no template for %s: %w", name, t.err)
}

// readSmall reads a regular file of at most maxTemplateSize bytes.
func readSmall(root *os.Root, name string) (string, error) {
	fi, err := root.Stat(name)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("not a regular file")
	}
	if fi.Size() > maxTemplateSize {
		return "", fmt.Errorf("larger than %d bytes", maxTemplateSize)
	}
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplateSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTemplateSize {
		return "", fmt.Errorf("larger than %d bytes", maxTemplateSize)
	}
	return string(b), nil
}

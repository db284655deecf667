package ccd_test

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ccdhq/ccd"

// sourceFile is one parsed non-test Go file of the module.
type sourceFile struct {
	dir  string // relative to the module root, "." for the root
	path string
	file *ast.File
}

func moduleSources(t *testing.T) []sourceFile {
	t.Helper()
	var out []sourceFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		out = append(out, sourceFile{dir: filepath.ToSlash(filepath.Dir(path)), path: path, file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The HTTP layer codes against the domain; the application (acd, the Stasis
// applications, statistics, the event log) never against the HTTP layer, and
// the domain against nothing of the module.
func TestImportRules(t *testing.T) {
	// Who may import api: the server's own dialects and web interface, the
	// wiring, and the tools and suites that drive the wiring.
	mayImportAPI := regexp.MustCompile(`^(api|integrations/.+|webui|daemon|cmd/.+|internal/(hostile|apitest)|bench/.+)$`)
	for _, sf := range moduleSources(t) {
		for _, imp := range sf.file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case sf.dir == "." && strings.HasPrefix(p, module+"/"):
				t.Errorf("%s: the domain package imports %s", sf.path, p)
			case p == module+"/api" && !mayImportAPI.MatchString(sf.dir):
				t.Errorf("%s imports api: application packages take their types from the domain package ccd", sf.path)
			}
		}
	}
}

// declaredKinds are the values of the event kind constants of the domain
// package, read by type-checking its source.
func declaredKinds(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check(module, fset, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if ok && strings.HasPrefix(name, "Event") && c.Val().Kind() == constant.String {
			kinds[constant.StringVal(c.Val())] = name
		}
	}
	if len(kinds) < 20 {
		t.Fatalf("read only %d event kinds from the domain package", len(kinds))
	}
	return kinds
}

// Event kinds are written out once, in the domain package; everyone else
// names the constants, so that a writer and its readers cannot drift apart.
func TestEventKindsDeclaredOnce(t *testing.T) {
	kinds := declaredKinds(t)
	for _, sf := range moduleSources(t) {
		if sf.dir == "." {
			continue
		}
		full, err := parser.ParseFile(token.NewFileSet(), sf.path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(full, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && kinds[v] != "" {
				t.Errorf("%s: event kind %s written out; use ccd.%s", sf.path, lit.Value, kinds[v])
			}
			return true
		})
	}
}

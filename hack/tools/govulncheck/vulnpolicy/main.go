// Command vulnpolicy reads govulncheck's JSON stream (-format json) on its
// standard input, prints one line per vulnerability found, and decides
// whether make verify fails:
//
//   - a vulnerability whose code our code calls, in a module of a go.mod:
//     fails (upgrade that module);
//   - one in the standard library, which only a newer Go fixes: fails only
//     with -stdlib=fail, since the Go toolchain is the machine's
//     (GOTOOLCHAIN=local), not the repository's; it is printed either way;
//   - one in a package we import or a module we require but whose code we
//     do not call: printed, never fails (govulncheck's own policy).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// message is the part of govulncheck's JSON protocol (v1.0.0) read here.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		GoVersion      string `json:"go_version"`
		DB             string `json:"db"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

type vuln struct {
	id, summary, module, version, fixed string
	level                               int    // 0 required, 1 imported, 2 called
	calledFrom                          string // our code's frame of one trace
}

var levels = []string{"required, not imported", "imported, not called", "CALLED"}

func main() {
	stdlib := flag.String("stdlib", "warn", "what a called vulnerability in the standard library does: warn or fail")
	flag.Parse()
	if *stdlib != "warn" && *stdlib != "fail" {
		fmt.Fprintf(os.Stderr, "vulnpolicy: -stdlib=%q: want warn or fail\n", *stdlib)
		os.Exit(2)
	}
	vulns := map[string]*vuln{}
	summaries := map[string]string{}
	dec := json.NewDecoder(os.Stdin)
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			fmt.Fprintln(os.Stderr, "vulnpolicy: reading govulncheck's JSON:", err)
			os.Exit(2)
		}
		switch {
		case m.Config != nil:
			fmt.Printf("govulncheck %s, %s, database %s\n", m.Config.ScannerVersion, m.Config.GoVersion, m.Config.DB)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f, top := m.Finding, m.Finding.Trace[0]
			level := 0
			switch {
			case top.Function != "":
				level = 2
			case top.Package != "":
				level = 1
			}
			// One OSV entry may affect several modules (net/http and
			// golang.org/x/net/http2, say): each is its own finding.
			key := f.OSV + " " + top.Module
			v := vulns[key]
			if v == nil {
				v = &vuln{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion}
				vulns[key] = v
			}
			if level >= v.level {
				v.level = level
				if last := f.Trace[len(f.Trace)-1]; level == 2 && v.calledFrom == "" && last.Position != nil {
					v.calledFrom = fmt.Sprintf("%s:%d", last.Position.Filename, last.Position.Line)
				}
			}
		}
	}
	list := make([]*vuln, 0, len(vulns))
	for _, v := range vulns {
		v.summary = summaries[v.id]
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].level != list[j].level {
			return list[i].level > list[j].level
		}
		if list[i].id != list[j].id {
			return list[i].id < list[j].id
		}
		return list[i].module < list[j].module
	})
	failing := 0
	for _, v := range list {
		fixed := v.fixed
		if fixed == "" {
			fixed = "no fixed version"
		}
		verdict := ""
		if v.level == 2 {
			switch {
			case v.module != "stdlib":
				verdict, failing = " FAIL: upgrade the module", failing+1
			case *stdlib == "fail":
				verdict, failing = " FAIL: build with a newer Go", failing+1
			default:
				verdict = " warning: only a newer Go fixes it (-stdlib=fail to fail)"
			}
			verdict += ", e.g. called from " + v.calledFrom
		}
		fmt.Printf("  %s %s@%s (fixed in %s) %s: %s%s\n", v.id, v.module, v.version, fixed, levels[v.level], v.summary, verdict)
	}
	fmt.Printf("%d vulnerabilities, %d failing\n", len(list), failing)
	if failing > 0 {
		os.Exit(1)
	}
}

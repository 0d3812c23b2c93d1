package playground

import (
	"embed"
	"io/fs"
	"net/http"
)

// static holds the page: plain HTML, CSS and one script, no build step;
// nothing is fetched from elsewhere at run time.
//
//go:embed static
var static embed.FS

func staticFS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory is there by construction
	}
	return sub
}

func staticFiles() http.Handler { return http.FileServerFS(staticFS()) }

// servePage serves the page at GET /playground. Its script and style sheet
// are linked relative to it, so the page also works behind a path prefix.
func servePage(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, staticFS(), "index.html")
}

// secure sets the headers of every file of the page: nothing but this
// origin may be loaded or connected to, and no other site may frame it.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
			"img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

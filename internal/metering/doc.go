// Package metering collects the metrics that ApplicationServer pods expose
// and serves them again over an HTTPS API, like WebOTX Operator's metering
// feature (operator port 8989).
//
// It has three parts, each usable on its own:
//
//   - [Store] keeps the latest successful scrape of every target (one pod of
//     one ApplicationServer) plus per-target health, and renders the data as
//     Prometheus text or as WebOTX's JSON shape ([WriteText], [WriteJSON]).
//   - [Scraper] is a controller-runtime Runnable that, every interval, asks a
//     [TargetSource] for the current targets and scrapes them concurrently,
//     with a per-scrape timeout, a response-size cap and a concurrency limit.
//   - [Server] is a controller-runtime Runnable serving GET /metrics,
//     /metrics/<name> and /metrics/<namespace>/<name> from a Store.
//
// The package does not talk to the Kubernetes API itself (except for the
// optional [KubernetesAuthorizer]): the caller supplies the targets.
package metering

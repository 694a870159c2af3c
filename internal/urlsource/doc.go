// Package urlsource reads a document named the way Kratos's configuration names them: a
// file:// URL or a bare path, base64://<data>, or an http(s):// URL, bounded in size and (for
// the network) in time. Identity schemas, courier templates and Jsonnet bodies load through it.
package urlsource

// Package config loads Portico's configuration: a YAML file with Ory Kratos's key names, then
// environment overrides named after the key path (serve.public.port → SERVE_PUBLIC_PORT), then
// defaults, then validation. Keys Kratos knows but Portico does not support are reported as one
// warning rather than refused, so a Kratos config file can be used as it is.
package config

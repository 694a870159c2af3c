package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The identities commands speak to a running Portico's admin API, as Kratos's do.

// defaultAdminURL is the admin listener's default address.
const defaultAdminURL = "http://127.0.0.1:4434"

// importBatch is how many identities one PATCH /admin/identities carries (the API's maximum
// with hashed passwords; with a plain-text password in it, the API's smaller maximum).
const (
	importBatch      = 1000
	importBatchPlain = 200
)

// exportTypes are the credential types an export asks for.
const exportTypes = "password,totp,lookup_secret,webauthn,passkey,oidc"

type adminClient struct {
	base string
	http *http.Client
}

func newAdminClient(endpoint string) (*adminClient, error) {
	if endpoint == "" {
		endpoint = os.Getenv("PORTICO_ADMIN_URL")
	}
	if endpoint == "" {
		endpoint = os.Getenv("KRATOS_ADMIN_URL")
	}
	if endpoint == "" {
		endpoint = defaultAdminURL
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--endpoint: expected the admin API's URL such as %s", defaultAdminURL)
	}
	return &adminClient{base: strings.TrimSuffix(u.String(), "/"), http: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// do sends a request and returns the reply body; a status other than want is an error that
// carries the API's reason.
func (c *adminClient) do(method, path string, body []byte, want ...int) ([]byte, http.Header, int, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return nil, nil, res.StatusCode, fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	for _, w := range want {
		if res.StatusCode == w {
			return out, res.Header, res.StatusCode, nil
		}
	}
	return out, res.Header, res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, apiReason(out))
}

// apiReason is the reason (or message) of Kratos's error JSON, or the body's start.
func apiReason(body []byte) string {
	var e struct {
		Error struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Error.Reason != "" || e.Error.Message != "") {
		if e.Error.Reason != "" {
			return e.Error.Reason
		}
		return e.Error.Message
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}

func identitiesCmd() *cobra.Command {
	var endpoint string
	cmd := &cobra.Command{
		Use:   "identities",
		Short: "Import, export, list, get and delete identities through a running Portico's admin API",
		// A failed item is reported on its own line; the usage text would bury it.
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringVarP(&endpoint, "endpoint", "e", "", "the admin API's URL (default $PORTICO_ADMIN_URL, $KRATOS_ADMIN_URL or "+defaultAdminURL+")")
	client := func() (*adminClient, error) { return newAdminClient(endpoint) }
	cmd.AddCommand(identitiesImportCmd(client), identitiesExportCmd(client), identitiesListCmd(client),
		identitiesGetCmd(client), identitiesDeleteCmd(client))
	return cmd
}

func identitiesGetCmd(client func() (*adminClient, error)) *cobra.Command {
	var include []string
	cmd := &cobra.Command{
		Use:   "get ID...",
		Short: "Print identities as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			q := ""
			if len(include) > 0 {
				q = "?include_credential=" + url.QueryEscape(strings.Join(include, ","))
			}
			for _, id := range args {
				body, _, _, err := c.do(http.MethodGet, "/admin/identities/"+url.PathEscape(id)+q, nil, http.StatusOK)
				if err != nil {
					return err
				}
				if err := printJSON(cmd.OutOrStdout(), body, true); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&include, "include-credential", nil, "credential types whose configs to include (e.g. password,totp)")
	return cmd
}

func identitiesDeleteCmd(client func() (*adminClient, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete identities (and everything they hold, sessions too)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var failed int
			for _, id := range args {
				if _, _, _, err := c.do(http.MethodDelete, "/admin/identities/"+url.PathEscape(id), nil, http.StatusNoContent); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed++
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), id)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d identities not deleted", failed, len(args))
			}
			return nil
		},
	}
}

func identitiesListCmd(client func() (*adminClient, error)) *cobra.Command {
	var (
		pageSize   int
		pageToken  string
		all        bool
		identifier string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List identities, one JSON object a line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if identifier != "" {
				q.Set("credentials_identifier", identifier)
			}
			next, err := listPages(c, q, pageSize, pageToken, all, cmd.OutOrStdout(), nil)
			if err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "next page: --page-token", next)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&pageSize, "page-size", 250, "identities per page")
	cmd.Flags().StringVar(&pageToken, "page-token", "", "the page to start at (from a previous list)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the end")
	cmd.Flags().StringVar(&identifier, "credentials-identifier", "", "only the identity with this identifier")
	return cmd
}

// listPages writes the identities of GET /admin/identities (q plus paging) as JSON lines,
// following the Link header's next page when all is set, and returns the next page's token.
func listPages(c *adminClient, q url.Values, size int, token string, all bool, out io.Writer, progress func(n int)) (string, error) {
	w := bufio.NewWriter(out)
	defer w.Flush()
	n := 0
	for {
		q.Set("page_size", fmt.Sprint(size))
		if token != "" {
			q.Set("page_token", token)
		} else {
			q.Del("page_token")
		}
		body, hdr, _, err := c.do(http.MethodGet, "/admin/identities?"+q.Encode(), nil, http.StatusOK)
		if err != nil {
			return "", err
		}
		var page []json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			return "", fmt.Errorf("list identities: %w", err)
		}
		for _, id := range page {
			var b bytes.Buffer
			if err := json.Compact(&b, id); err != nil {
				return "", err
			}
			b.WriteByte('\n')
			if _, err := w.Write(b.Bytes()); err != nil {
				return "", err
			}
		}
		n += len(page)
		if progress != nil {
			progress(n)
		}
		token = nextPageToken(hdr.Get("Link"))
		if !all || token == "" || len(page) == 0 {
			return token, nil
		}
	}
}

// nextPageToken reads page_token of the rel="next" link of a Link header.
func nextPageToken(link string) string {
	for _, part := range strings.Split(link, ",") {
		if !strings.Contains(part, `rel="next"`) {
			continue
		}
		start, end := strings.Index(part, "<"), strings.Index(part, ">")
		if start < 0 || end < start {
			continue
		}
		u, err := url.Parse(part[start+1 : end])
		if err != nil {
			continue
		}
		return u.Query().Get("page_token")
	}
	return ""
}

func identitiesExportCmd(client func() (*adminClient, error)) *cobra.Command {
	var pageSize int
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every identity with its credentials as JSON lines (for backups and moves)",
		Long: "Writes every identity, with the configs of all its credentials (password hashes, TOTP\n" +
			"URLs, sealed lookup codes, WebAuthn keys), one JSON object a line, to stdout. Keep the\n" +
			"file as secret as the database. `portico identities import` reads it back.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			start := time.Now()
			last := 0
			q := url.Values{"include_credential": {exportTypes}}
			_, err = listPages(c, q, pageSize, "", true, cmd.OutOrStdout(), func(n int) {
				if n/importBatch > last/importBatch {
					fmt.Fprintf(cmd.ErrOrStderr(), "exported %d identities (%s)\n", n, time.Since(start).Round(time.Millisecond))
				}
				last = n
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d identities in %s\n", last, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&pageSize, "page-size", 500, "identities per request")
	return cmd
}

func printJSON(w io.Writer, body []byte, pretty bool) error {
	var b bytes.Buffer
	var err error
	if pretty {
		err = json.Indent(&b, body, "", "  ")
	} else {
		err = json.Compact(&b, body)
	}
	if err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err = w.Write(b.Bytes())
	return err
}

var errSomeFailed = errors.New("some identities were not imported")

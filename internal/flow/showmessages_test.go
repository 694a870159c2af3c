package flow

import (
	"testing"

	"github.com/portico-auth/portico/internal/text"
)

func TestShowMessages(t *testing.T) {
	var c Container
	c.Nodes.Append(NewInput(GroupDefault, InputAttributes{Name: "identifier", Type: InputText}, nil))
	c.ShowMessages([]text.Message{text.NewInvalidCredentials()}, map[string][]text.Message{
		"identifier": {text.NewRequired("identifier")},
		"nowhere":    {text.NewRequired("nowhere")},
	})
	if len(c.Messages) != 2 || c.Messages[0].ID != text.ErrorValidationInvalidCredentials {
		t.Fatalf("form messages %+v", c.Messages)
	}
	if n := c.Nodes.Find("identifier"); len(n.Messages) != 1 || n.Messages[0].ID != text.ErrorValidationRequired {
		t.Fatalf("node messages %+v", n.Messages)
	}
}

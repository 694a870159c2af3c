package oidc

// LinkRecordID is linkRecordID, for the tests that reach a pending link's record.
var LinkRecordID = linkRecordID

package text

// Message ids, numbered as Kratos numbers them: 1xxxxxx info, 4xxxxxx errors; the second and
// third digits name the flow (01 login, 04 registration, 05 settings, 06 recovery, 07 node
// labels or verification, 08 verification).
const (
	InfoLogin                     = 1010001
	InfoLoginWith                 = 1010002
	InfoLoginReAuth               = 1010003
	InfoLoginMFA                  = 1010004
	InfoLoginVerify               = 1010005
	InfoLoginTOTPLabel            = 1010006
	InfoLoginLookupLabel          = 1010007
	InfoLoginWebAuthn             = 1010008
	InfoLoginTOTP                 = 1010009
	InfoLoginLookup               = 1010010
	InfoLoginContinueWebAuthn     = 1010011
	InfoLoginWebAuthnPasswordless = 1010012
	InfoLoginContinue             = 1010013
	InfoLoginEmailWithCodeSent    = 1010014
	InfoLoginCode                 = 1010015
	InfoLoginLink                 = 1010016
	InfoLoginAndLink              = 1010017
	InfoLoginCodeMFA              = 1010019
	InfoLoginAAL2CodeAddress      = 1010023
	InfoLoginPasskey              = 1010021
	InfoLoginPassword             = 1010022

	InfoLogout = 1020000

	InfoRegistration         = 1040001
	InfoRegistrationWith     = 1040002
	InfoRegistrationContinue = 1040003
	InfoRegistrationCodeSent = 1040005
	InfoRegistrationCode     = 1040006
	InfoRegistrationPasskey  = 1040007

	InfoSettingsUpdateSuccess    = 1050001
	InfoSettingsLinkProvider     = 1050002
	InfoSettingsUnlinkProvider   = 1050003
	InfoSettingsUnlinkTOTP       = 1050004
	InfoSettingsTOTPQRCode       = 1050005
	InfoSettingsTOTPSecret       = 1050006
	InfoSettingsRevealLookup     = 1050007
	InfoSettingsRegenerateLookup = 1050008
	InfoSettingsLookupSecret     = 1050009
	InfoSettingsLookupConfirm    = 1050010
	InfoSettingsEnableLookup     = 1050011
	InfoSettingsAddWebAuthn      = 1050012
	InfoSettingsWebAuthnName     = 1050013
	InfoSettingsLookupSecretUsed = 1050014
	InfoSettingsLookupSecretList = 1050015
	InfoSettingsDisableLookup    = 1050016
	InfoSettingsTOTPSecretLabel  = 1050017
	InfoSettingsRemoveWebAuthn   = 1050018
	InfoSettingsAddPasskey       = 1050019
	InfoSettingsRemovePasskey    = 1050020
	// InfoSettingsDeleteAccount and InfoSettingsDeleteAccountConfirm are Portico's own ids
	// (Kratos has no account deletion): the delete_account group's button and the label of
	// its confirm field, which names the word to type.
	InfoSettingsDeleteAccount        = 1050100
	InfoSettingsDeleteAccountConfirm = 1050101
	// InfoSettingsRecentActivity and InfoSettingsActivityEvent are Portico's own ids (Kratos
	// keeps no audit trail): the label of a person's recent account activity in settings
	// (audit.show_in_settings) and one entry of it.
	InfoSettingsRecentActivity = 1050110
	InfoSettingsActivityEvent  = 1050111

	InfoNodeLabelPassword  = 1070001
	InfoNodeLabelGenerated = 1070002
	InfoNodeLabelSave      = 1070003
	InfoNodeLabelID        = 1070004
	InfoNodeLabelSubmit    = 1070005
	InfoNodeLabelVerifyOTP = 1070006
	InfoNodeLabelEmail     = 1070007
	InfoNodeLabelResendOTP = 1070008
	InfoNodeLabelContinue  = 1070009
	// InfoNodeLabelCurrentPassword is Portico's own id: the label of the settings flow's
	// current_password input (require_current_password).
	InfoNodeLabelCurrentPassword = 1070100

	InfoRecoverySuccessful        = 1060001
	InfoRecoveryEmailSent         = 1060002
	InfoRecoveryEmailWithCodeSent = 1060003

	InfoNodeLabelRecoveryCode     = 1070010
	InfoNodeLabelVerificationCode = 1070011
	InfoNodeLabelRegistrationCode = 1070012
	InfoNodeLabelLoginCode        = 1070013

	InfoVerificationEmailSent         = 1080001
	InfoVerificationSuccessful        = 1080002
	InfoVerificationEmailWithCodeSent = 1080003

	ErrorValidationGeneric                        = 4000001
	ErrorValidationRequired                       = 4000002
	ErrorValidationMinLength                      = 4000003
	ErrorValidationInvalidFormat                  = 4000004
	ErrorValidationPasswordPolicy                 = 4000005
	ErrorValidationInvalidCredentials             = 4000006
	ErrorValidationDuplicateCredentials           = 4000007
	ErrorValidationTOTPVerifierWrong              = 4000008
	ErrorValidationIdentifierMissing              = 4000009
	ErrorValidationAddressNotVerified             = 4000010
	ErrorValidationNoTOTPDevice                   = 4000011
	ErrorValidationLookupAlreadyUsed              = 4000012
	ErrorValidationNoWebAuthnDevice               = 4000013
	ErrorValidationNoLookup                       = 4000014
	ErrorValidationNoWebAuthnUser                 = 4000015
	ErrorValidationLookupInvalid                  = 4000016
	ErrorValidationMaxLength                      = 4000017
	ErrorValidationMinimum                        = 4000018
	ErrorValidationExclusiveMinimum               = 4000019
	ErrorValidationMaximum                        = 4000020
	ErrorValidationExclusiveMaximum               = 4000021
	ErrorValidationMultipleOf                     = 4000022
	ErrorValidationMaxItems                       = 4000023
	ErrorValidationMinItems                       = 4000024
	ErrorValidationUniqueItems                    = 4000025
	ErrorValidationWrongType                      = 4000026
	ErrorValidationDuplicateCredentialsOnOIDCLink = 4000027
	ErrorValidationConst                          = 4000029
	ErrorValidationConstGeneric                   = 4000030
	ErrorValidationPasswordIdentifierTooSimilar   = 4000031
	ErrorValidationPasswordMinLength              = 4000032
	ErrorValidationPasswordMaxLength              = 4000033
	ErrorValidationPasswordTooManyBreaches        = 4000034
	ErrorValidationTraitsMismatch                 = 4000036
	ErrorValidationAccountNotFound                = 4000037
	ErrorValidationPasswordNewSameAsOld           = 4000039
	ErrorValidationInvalidEmail                   = 4000040
	// ErrorValidationLastFirstFactor is Portico's own id (Kratos has none for it): a
	// settings change refused because it would remove the identity's last way to sign in.
	ErrorValidationLastFirstFactor = 4000100
	// ErrorValidationCurrentPasswordWrong is Portico's own id (Kratos asks for no current
	// password): the current password given with a new one in settings is not the identity's
	// (selfservice.methods.password.config.require_current_password).
	ErrorValidationCurrentPasswordWrong = 4000101
	// ErrorValidationDeleteAccountConfirm is Portico's own id: the confirm field of an account
	// deletion does not hold the word it asks for.
	ErrorValidationDeleteAccountConfirm = 4000110
	// ErrorValidationLastSecondFactor is Portico's own id: under forced enrolment
	// (selfservice.flows.settings.required_aal: aal2_enrol) a settings change may not remove
	// the identity's last second factor.
	ErrorValidationLastSecondFactor = 4000111

	ErrorValidationLoginFlowExpired       = 4010001
	ErrorValidationLoginNoStrategy        = 4010002
	ErrorValidationRegistrationNoStrategy = 4010003
	ErrorValidationSettingsNoStrategy     = 4010004
	ErrorValidationRecoveryNoStrategy     = 4010005
	ErrorValidationVerificationNoStrategy = 4010006
	ErrorValidationLoginRetrySuccess      = 4010007
	ErrorValidationLoginCodeInvalid       = 4010008
	ErrorValidationLoginAddressUnknown    = 4010010

	ErrorValidationRegistrationFlowExpired  = 4040001
	ErrorValidationRegistrationRetrySuccess = 4040002
	ErrorValidationRegistrationCodeInvalid  = 4040003

	ErrorValidationSettingsFlowExpired = 4050001

	ErrorValidationRecoveryRetrySuccess = 4060001
	ErrorValidationRecoveryStateFailure = 4060002
	ErrorValidationRecoveryTokenMissing = 4060003
	ErrorValidationRecoveryTokenInvalid = 4060004
	ErrorValidationRecoveryFlowExpired  = 4060005
	ErrorValidationRecoveryCodeInvalid  = 4060006

	ErrorValidationVerificationTokenInvalid = 4070001
	ErrorValidationVerificationRetrySuccess = 4070002
	ErrorValidationVerificationStateFailure = 4070003
	ErrorValidationVerificationTokenMissing = 4070004
	ErrorValidationVerificationFlowExpired  = 4070005
	ErrorValidationVerificationCodeInvalid  = 4070006
)

const retrySuccess = "The request was already completed successfully and can not be retried."

// catalogue holds every message Portico shows. Templates are Portico's own English wording
// where Kratos's exact text is not part of the wire contract; ids are Kratos's.
var catalogue = map[int]Entry{
	InfoLogin:                     {Info, "Sign in"},
	InfoLoginWith:                 {Info, "Sign in with {provider}"},
	InfoLoginReAuth:               {Info, "Please confirm this action by verifying that it is you."},
	InfoLoginMFA:                  {Info, "Please complete the second authentication challenge."},
	InfoLoginVerify:               {Info, "Verify"},
	InfoLoginTOTPLabel:            {Info, "Authentication code"},
	InfoLoginLookupLabel:          {Info, "Backup recovery code"},
	InfoLoginWebAuthn:             {Info, "Sign in with hardware key"},
	InfoLoginTOTP:                 {Info, "Use Authenticator"},
	InfoLoginLookup:               {Info, "Use backup recovery code"},
	InfoLoginContinueWebAuthn:     {Info, "Continue with hardware key"},
	InfoLoginWebAuthnPasswordless: {Info, "Prepare your WebAuthn device (e.g. security key, biometrics scanner, ...) and press continue."},
	InfoLoginContinue:             {Info, "Continue"},
	InfoLoginEmailWithCodeSent:    {Info, "An email containing a code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."},
	InfoLoginCode:                 {Info, "Send sign in code"},
	InfoLoginLink:                 {Info, "You tried to sign in with {provider}, but an account with the address {duplicateIdentifier} exists already. Sign in to that account with one of its ways to sign in to add {provider} to it."},
	InfoLoginAndLink:              {Info, "Sign in and link"},
	InfoLoginCodeMFA:              {Info, "Request code to continue"},
	InfoLoginAAL2CodeAddress:      {Info, "Send code to {address}"},
	InfoLoginPasskey:              {Info, "Sign in with passkey"},
	InfoLoginPassword:             {Info, "Sign in with password"},

	InfoLogout: {Info, "Do you wish to sign out?"},

	InfoRegistration:         {Info, "Sign up"},
	InfoRegistrationWith:     {Info, "Sign up with {provider}"},
	InfoRegistrationContinue: {Info, "Continue"},
	InfoRegistrationCodeSent: {Info, "An email containing a code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and retry the registration."},
	InfoRegistrationCode:     {Info, "Sign up with code"},
	InfoRegistrationPasskey:  {Info, "Sign up with passkey"},

	InfoSettingsUpdateSuccess:    {Success, "Your changes have been saved!"},
	InfoSettingsLinkProvider:     {Info, "Link {provider}"},
	InfoSettingsUnlinkProvider:   {Info, "Unlink {provider}"},
	InfoSettingsUnlinkTOTP:       {Info, "Unlink TOTP Authenticator App"},
	InfoSettingsTOTPQRCode:       {Info, "Authenticator app QR code"},
	InfoSettingsTOTPSecret:       {Info, "{secret}"},
	InfoSettingsRevealLookup:     {Info, "Reveal backup recovery codes"},
	InfoSettingsRegenerateLookup: {Info, "Generate new backup recovery codes"},
	InfoSettingsLookupSecret:     {Info, "{secret}"},
	InfoSettingsLookupConfirm:    {Info, "These are your back up recovery codes. Please keep them in a safe place!"},
	InfoSettingsEnableLookup:     {Info, "Confirm backup recovery codes"},
	InfoSettingsAddWebAuthn:      {Info, "Add security key"},
	InfoSettingsWebAuthnName:     {Info, "Name of the security key"},
	InfoSettingsLookupSecretUsed: {Info, "Secret was used at {used_at}"},
	InfoSettingsLookupSecretList: {Info, "{secrets_list}"},
	InfoSettingsDisableLookup:    {Info, "Disable this method"},
	InfoSettingsTOTPSecretLabel:  {Info, "This is your authenticator app secret. Use it if you can not scan the QR code."},
	InfoSettingsRemoveWebAuthn:   {Info, "Remove security key \"{display_name}\""},
	InfoSettingsAddPasskey:       {Info, "Add passkey"},
	InfoSettingsRemovePasskey:    {Info, "Remove passkey \"{display_name}\""},
	InfoSettingsRecentActivity:   {Info, "Recent activity on your account"},
	InfoSettingsActivityEvent:    {Info, "{summary} — {created_at}, {device}"},

	InfoNodeLabelPassword:        {Info, "Password"},
	InfoNodeLabelCurrentPassword: {Info, "Current password"},
	InfoNodeLabelGenerated:       {Info, "{title}"},
	InfoNodeLabelSave:            {Info, "Save"},
	InfoNodeLabelID:              {Info, "ID"},
	InfoNodeLabelSubmit:          {Info, "Submit"},
	InfoNodeLabelVerifyOTP:       {Info, "Verify code"},
	InfoNodeLabelEmail:           {Info, "Email"},
	InfoNodeLabelResendOTP:       {Info, "Resend code"},
	InfoNodeLabelContinue:        {Info, "Continue"},

	ErrorValidationGeneric:                        {Error, "{reason}"},
	ErrorValidationRequired:                       {Error, "Property {property} is missing."},
	ErrorValidationMinLength:                      {Error, "length must be >= {min_length}, but got {actual_length}"},
	ErrorValidationInvalidFormat:                  {Error, "does not match pattern \"{pattern}\""},
	ErrorValidationPasswordPolicy:                 {Error, "The password can not be used because {reason}."},
	ErrorValidationInvalidCredentials:             {Error, "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number."},
	ErrorValidationCurrentPasswordWrong:           {Error, "The current password is not correct."},
	ErrorValidationDuplicateCredentials:           {Error, "An account with the same identifier (email, phone, username, ...) exists already."},
	ErrorValidationTOTPVerifierWrong:              {Error, "The provided authentication code is invalid, please try again."},
	ErrorValidationIdentifierMissing:              {Error, "Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration."},
	ErrorValidationAddressNotVerified:             {Error, "Account not active yet. Did you forget to verify your email address?"},
	ErrorValidationNoTOTPDevice:                   {Error, "You have no TOTP device set up."},
	ErrorValidationLookupAlreadyUsed:              {Error, "This backup recovery code has already been used."},
	ErrorValidationNoWebAuthnDevice:               {Error, "You have no WebAuthn device set up."},
	ErrorValidationNoLookup:                       {Error, "You have no backup recovery codes set up."},
	ErrorValidationNoWebAuthnUser:                 {Error, "This account does not exist or has no security key set up."},
	ErrorValidationLookupInvalid:                  {Error, "The backup recovery code is not valid."},
	ErrorValidationMaxLength:                      {Error, "length must be <= {max_length}, but got {actual_length}"},
	ErrorValidationMinimum:                        {Error, "must be >= {minimum} but found {actual}"},
	ErrorValidationExclusiveMinimum:               {Error, "must be > {minimum} but found {actual}"},
	ErrorValidationMaximum:                        {Error, "must be <= {maximum} but found {actual}"},
	ErrorValidationExclusiveMaximum:               {Error, "must be < {maximum} but found {actual}"},
	ErrorValidationMultipleOf:                     {Error, "{actual} not multipleOf {base}"},
	ErrorValidationMaxItems:                       {Error, "maximum {max_items} items allowed, but found {actual_items} items"},
	ErrorValidationMinItems:                       {Error, "minimum {min_items} items allowed, but found {actual_items} items"},
	ErrorValidationUniqueItems:                    {Error, "items at index {index_a} and {index_b} are equal"},
	ErrorValidationWrongType:                      {Error, "expected {allowed_types}, but got {actual_type}"},
	ErrorValidationDuplicateCredentialsOnOIDCLink: {Error, "An account with the same identifier (email, phone, username, ...) exists already. Please sign in to your existing account to link your social profile."},
	ErrorValidationConst:                          {Error, "must be equal to constant {expected}"},
	ErrorValidationConstGeneric:                   {Error, "const failed"},
	ErrorValidationPasswordIdentifierTooSimilar:   {Error, "The password can not be used because it is too similar to the identifier."},
	ErrorValidationPasswordMinLength:              {Error, "The password must be at least {min_length} characters long, but got {actual_length}."},
	ErrorValidationPasswordMaxLength:              {Error, "The password must be at most {max_length} characters long, but got {actual_length}."},
	ErrorValidationPasswordTooManyBreaches:        {Error, "The password has been found in data breaches and must no longer be used."},
	ErrorValidationTraitsMismatch:                 {Error, "The provided traits do not match the traits previously associated with this flow."},
	ErrorValidationAccountNotFound:                {Error, "This account does not exist or has no login method configured."},
	ErrorValidationPasswordNewSameAsOld:           {Error, "The new password must be different from the old password."},
	ErrorValidationInvalidEmail:                   {Error, "\"{value}\" is not a valid email address."},
	InfoSettingsDeleteAccount:                     {Info, "Delete account"},
	InfoSettingsDeleteAccountConfirm:              {Info, "Type {confirmation} to delete this account and everything it holds for good"},
	ErrorValidationLastSecondFactor:               {Error, "A second factor is required for this account, so its last one cannot be removed. Add another one first."},
	ErrorValidationDeleteAccountConfirm:           {Error, "Type {confirmation} exactly to confirm the deletion of this account."},
	ErrorValidationLastFirstFactor:                {Error, "This is the last way to sign in to this account, so it cannot be removed. Add another sign-in method first."},

	ErrorValidationLoginFlowExpired:       {Error, "The login flow expired {expired_at_unix_since_minutes} minutes ago, please try again."},
	ErrorValidationLoginNoStrategy:        {Error, "Could not find a strategy to log you in with. Did you fill out the form correctly?"},
	ErrorValidationRegistrationNoStrategy: {Error, "Could not find a strategy to sign you up with. Did you fill out the form correctly?"},
	ErrorValidationSettingsNoStrategy:     {Error, "Could not find a strategy to update your settings. Did you fill out the form correctly?"},
	ErrorValidationRecoveryNoStrategy:     {Error, "Could not find a strategy to recover your account with. Did you fill out the form correctly?"},
	ErrorValidationVerificationNoStrategy: {Error, "Could not find a strategy to verify your account with. Did you fill out the form correctly?"},
	ErrorValidationLoginRetrySuccess:      {Error, retrySuccess},
	ErrorValidationLoginCodeInvalid:       {Error, "The login code is invalid or has already been used. Please try again."},
	ErrorValidationLoginAddressUnknown:    {Error, "The address you entered does not match any known addresses in the current account."},

	ErrorValidationRegistrationFlowExpired:  {Error, "The registration flow expired {expired_at_unix_since_minutes} minutes ago, please try again."},
	ErrorValidationRegistrationRetrySuccess: {Error, retrySuccess},
	ErrorValidationRegistrationCodeInvalid:  {Error, "The registration code is invalid or has already been used. Please try again."},

	ErrorValidationSettingsFlowExpired: {Error, "The settings flow expired {expired_at_unix_since_minutes} minutes ago, please try again."},

	ErrorValidationRecoveryRetrySuccess: {Error, retrySuccess},
	ErrorValidationRecoveryStateFailure: {Error, "The recovery flow reached a failure state and must be retried."},
	ErrorValidationRecoveryTokenMissing: {Error, "The recovery token is missing. Please retry the flow."},
	ErrorValidationRecoveryTokenInvalid: {Error, "The recovery token is invalid or has already been used. Please retry the flow."},
	ErrorValidationRecoveryFlowExpired:  {Error, "The recovery flow expired {expired_at_unix_since_minutes} minutes ago, please try again."},
	ErrorValidationRecoveryCodeInvalid:  {Error, "The recovery code is invalid or has already been used. Please try again."},

	ErrorValidationVerificationTokenInvalid: {Error, "The verification token is invalid or has already been used. Please retry the flow."},
	ErrorValidationVerificationRetrySuccess: {Error, retrySuccess},
	ErrorValidationVerificationStateFailure: {Error, "The verification flow reached a failure state and must be retried."},
	ErrorValidationVerificationTokenMissing: {Error, "The verification token is missing. Please retry the flow."},
	ErrorValidationVerificationFlowExpired:  {Error, "The verification flow expired {expired_at_unix_since_minutes} minutes ago, please try again."},
	ErrorValidationVerificationCodeInvalid:  {Error, "The verification code is invalid or has already been used. Please try again."},

	InfoRecoverySuccessful:        {Success, "You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next {privileged_session_expires_at_unix_until_minutes} minutes."},
	InfoRecoveryEmailSent:         {Info, "An email containing a recovery link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."},
	InfoRecoveryEmailWithCodeSent: {Info, "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."},
	InfoNodeLabelRecoveryCode:     {Info, "Recovery code"},
	InfoNodeLabelVerificationCode: {Info, "Verification code"},
	InfoNodeLabelLoginCode:        {Info, "Login code"},
	InfoNodeLabelRegistrationCode: {Info, "Registration code"},

	InfoVerificationEmailSent:         {Info, "An email containing a verification link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."},
	InfoVerificationSuccessful:        {Success, "You successfully verified your email address."},
	InfoVerificationEmailWithCodeSent: {Info, "An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."},
}

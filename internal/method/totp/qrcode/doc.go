// Package qrcode draws QR codes (ISO/IEC 18004, byte mode, error correction level M) and writes
// them as small 1-bit PNG images.
//
// It exists because enrolling an authenticator app shows the key as a QR code in every new
// settings flow, and the general-purpose encoder Portico used before (boombuler/barcode via
// pquerna/otp, then image/png on a 256×256 RGBA image) spent about 9 ms and 35,000 allocations
// per code, most of it choosing the mask and deflating 256 KB of pixels. Here the matrix is a
// byte per module, the eight masks are scored in one pass each, and the PNG is written at one
// bit per pixel with repeated rows filtered to zeros, so a code costs about a tenth of a
// millisecond (BenchmarkEncode and BenchmarkPNG), and a TOTP key's 256-pixel image is about
// 740 bytes (TestPNGIsSmall).
package qrcode

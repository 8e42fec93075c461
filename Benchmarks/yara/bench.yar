// Rules for the yara benchmark (Benchmarks/run.sh): the markers ckpt-gen plants, and the kinds of
// strings memory-hunting rules look for (headers, shellcode, credentials), as literals, hex
// strings with jumps and wildcards, case-insensitive and wide text, and regular expressions.

rule BenchMarker
{
    meta:
        description = "markers planted by ckpt-gen"
    strings:
        $m = "BENCH-MARKER-"
    condition:
        $m
}

rule BenchMarkerNumbered
{
    strings:
        $r = /BENCH-MARKER-[0-9]{6}/
    condition:
        $r
}

rule ELFImageInMemory : injected
{
    strings:
        $elf = { 7F 45 4C 46 02 01 01 00 00 00 00 00 00 00 00 00 0? 00 3E 00 }
    condition:
        $elf
}

rule Shellcode : injected
{
    strings:
        $execve = { 31 C0 50 68 2F 2F 73 68 68 2F 62 69 6E 89 E3 }
        $zero = { 48 31 FF 48 31 F6 48 31 D2 [0-8] 0F 05 }
        $syscall = { 48 C7 C0 3B 00 00 00 [2-16] 0F 05 }
    condition:
        any of them
}

rule Credentials
{
    strings:
        $aws = /AKIA[0-9A-Z]{16}/
        $secret = "aws_secret_access_key" nocase
        $pem = "-----BEGIN RSA PRIVATE KEY-----"
        $password = "password=" nocase ascii wide
        $bearer = /Authorization: Bearer [A-Za-z0-9._-]{20,}/
    condition:
        any of them
}

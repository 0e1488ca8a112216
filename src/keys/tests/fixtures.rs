//! Reference material made once with OpenSSH 9.2p1 `ssh-keygen` and OpenSSL 3.0.

/// `ssh-keygen -t ed25519 -N '' -C fixed@sshgate`.
pub(super) const ED25519_FILE: &str = r"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBn3nP6L2qk/Fa7Ekjo0ahzBc/xltGQbSY+LVmPdWOH9AAAAJCzc5w9s3Oc
PQAAAAtzc2gtZWQyNTUxOQAAACBn3nP6L2qk/Fa7Ekjo0ahzBc/xltGQbSY+LVmPdWOH9A
AAAECOuCv8ozrCdK33bHkjz8dW6cUxG9THdlTfd+UAQm2zHWfec/ovaqT8VrsSSOjRqHMF
z/GW0ZBtJj4tWY91Y4f0AAAADWZpeGVkQHNzaGdhdGU=
-----END OPENSSH PRIVATE KEY-----
";

/// Its `.pub` line.
pub(super) const ED25519_PUB: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGfec/ovaqT8VrsSSOjRqHMFz/GW0ZBtJj4tWY91Y4f0 fixed@sshgate";

/// `ssh-keygen -lf` of it.
pub(super) const ED25519_SHA256: &str = "SHA256:ze4bcimq2BRJDqPeRR38CLXvk2Jv3AR/YIveLTqBmR4";

/// `ssh-keygen -E md5 -lf` of it (without `MD5:`).
pub(super) const ED25519_MD5: &str = "31:76:6e:17:99:bc:00:6c:27:63:51:71:be:12:ce:20";

/// `ssh-keygen -t ed25519 -N 'correct horse' -a 4` (aes256-ctr, bcrypt).
pub(super) const ED25519_ENC_FILE: &str = r"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABAqQZ46OX
kKt36J1j/f4PDMAAAABAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIBzkIBubp/qO6f2N
5TjBUluuAYzmbLIHjnxB0Lcv+qmFAAAAkDKL0ZbKrq/N9jZ51vdf/RZOoITlGVVTpnVOFN
wIuEqThQSjVpBHLqg41Brh0sHewX2t3bzqSpxmyG71IseYr7My02ww+IeIFa27Pt34lx4E
so8Flofz7bs+3ROoRuJqCRvHihHMANTi30mi0pbVDGOPVcTypJVabALouXhuhosaVkCh4B
488ogFaonqkRMKiQ==
-----END OPENSSH PRIVATE KEY-----
";

/// Its passphrase.
pub(super) const ED25519_ENC_PASSPHRASE: &str = "correct horse";

/// Its `.pub` line.
pub(super) const ED25519_ENC_PUB: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzkIBubp/qO6f2N5TjBUluuAYzmbLIHjnxB0Lcv+qmF enc@sshgate";

/// `ssh-keygen -t ecdsa -b 256 -N ''`.
pub(super) const P256_FILE: &str = r"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS
1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQTFgP6bfpIcKHRBKDWPtTmfkq2jgd/+
Or09pBRxcK8rWqK4N2LMxg3HvgYbvVbhhYdTpSOb9ZvsX0jqlRp3XynUAAAAqG6w/jFusP
4xAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMWA/pt+khwodEEo
NY+1OZ+SraOB3/46vT2kFHFwrytaorg3YszGDce+Bhu9VuGFh1OlI5v1m+xfSOqVGndfKd
QAAAAhAI4krnx7pKtp+bXPwDNqUXHqhEehR7hRAWgGxvQTWswMAAAADHAyNTZAc3NoZ2F0
ZQECAw==
-----END OPENSSH PRIVATE KEY-----
";

/// Its `.pub` line.
pub(super) const P256_PUB: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMWA/pt+khwodEEoNY+1OZ+SraOB3/46vT2kFHFwrytaorg3YszGDce+Bhu9VuGFh1OlI5v1m+xfSOqVGndfKdQ= p256@sshgate";

/// `ssh-keygen -lf` of it.
pub(super) const P256_SHA256: &str = "SHA256:RLB+CLhe0XVtMsjk5XY1h3C29WwzGiJI01y9spQBcDE";

/// `ssh-keygen -E md5 -lf` of it.
pub(super) const P256_MD5: &str = "52:c8:5e:d8:b3:82:30:21:b2:c9:f7:6b:ad:79:75:f9";

/// `ssh-keygen -t rsa -b 2048 -N ''`.
pub(super) const RSA2048_FILE: &str = r"-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABFwAAAAdzc2gtcn
NhAAAAAwEAAQAAAQEAvDV8BlCsC+ET52z/e0GvkFEyb2y9W+JCqcav1+5jfKF9YFmnvZXD
lElDyyKqSRhlmJGI0rV8XpbnekrZVH95Bhb0xfM5CCOF7yMa15fQ6mFleelNzxamtjnx1g
Nx6cJXyS/2fLn85LtR8vK4i12CoRF06wP3CQQ1083BKcDbXDWlDJLwJ9VZiBBWtSgb0Eiq
d39FZq3qAMNeBA/Chw4Sx45BvZ0vq31EB/I+6ArzDtOrX4r5Yhkwy8d1Nbx9yEHstT9CP8
73gGKa16hTFSGXWgc7whAcenF4FT+ALMOvahmStgoMrxWFIyYHvdAiS7WzeqbKfaY6Ezjw
RZ8YcjlB/QAAA8A6yR9zOskfcwAAAAdzc2gtcnNhAAABAQC8NXwGUKwL4RPnbP97Qa+QUT
JvbL1b4kKpxq/X7mN8oX1gWae9lcOUSUPLIqpJGGWYkYjStXxelud6StlUf3kGFvTF8zkI
I4XvIxrXl9DqYWV56U3PFqa2OfHWA3HpwlfJL/Z8ufzku1Hy8riLXYKhEXTrA/cJBDXTzc
EpwNtcNaUMkvAn1VmIEFa1KBvQSKp3f0VmreoAw14ED8KHDhLHjkG9nS+rfUQH8j7oCvMO
06tfivliGTDLx3U1vH3IQey1P0I/zveAYprXqFMVIZdaBzvCEBx6cXgVP4Asw69qGZK2Cg
yvFYUjJge90CJLtbN6psp9pjoTOPBFnxhyOUH9AAAAAwEAAQAAAQAnWW9Syq8N1MMakZlg
pb0VCUToMu3sNgQGBvpgxQCb4A+cg2Ikqxk2+ZJo+BhuK+Gh4lue4j7cb+R5lwiVOAmPkm
EeudlksDiiZM6J4L3XIwHaWULhVzUHyFmdix7X5r//2j1ImoIbOGbLyp9209gp4MJ3GF8f
zXeLjush1aaHQnuBZLuXRPOFc9zmT2jE9wB7L//qxTQRF6wBhqP4xd28ptJ5S7f0AZ38XQ
wOFy5ppNedmvOEIH19V90kgxIv5vKTAIGTqD7Z4vj9PB8JKhkZLywvqWUYoXoY4Z2oTG2b
ZhSKm1nA/Aonh1I52Al/Uab8cagolRnhbr9ywkpYK2JBAAAAgGAMskC8/UuPd5XCUkynUx
NUzGOq8cQAHZJt2L8vAOBy2qV4YDtFRS9MR8/ITL9Q52yEFRBaASEK+2u4zCpc303G0xKa
V9x+Ts5LZCbtB5+3s4ttqCfkrr4E/qVMrY/ke5mvMJZAHDc9LnB2aaj1wKzNViWSW385aD
83p5665aN7AAAAgQD4UryH/zPWCx5cJo4Q9tDRihsNiONGdyozuw9zgc/l5cdlG5hACuoo
wsW+EPn2UgmFTQiygw95c72Mug48204om5y1hnyV6dzOAi8NGh0uJi+muRbzABwhgcmuS4
vCWimwTGjIbzKqqxa1ljWkEWJQmARh36lrN4NPorGZXXDahQAAAIEAwgb+21K7sWeCGI8x
no2xSl6RCaqnH+0S2S1DURYsTfEfxhk3Puy8eMMnyYjfNIxNK6tA+eAfGN/XfcGqKuX7FL
0YNPvM+OI7KYl8e1qLAFPJIgqzMnuX1mazPaWxCJrV10O0ZERDDTie7RfUbIcq8x6PCpkI
FYvYSZS7tAV3rxkAAAALcnNhQHNzaGdhdGU=
-----END OPENSSH PRIVATE KEY-----
";

/// Its `.pub` line.
pub(super) const RSA2048_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC8NXwGUKwL4RPnbP97Qa+QUTJvbL1b4kKpxq/X7mN8oX1gWae9lcOUSUPLIqpJGGWYkYjStXxelud6StlUf3kGFvTF8zkII4XvIxrXl9DqYWV56U3PFqa2OfHWA3HpwlfJL/Z8ufzku1Hy8riLXYKhEXTrA/cJBDXTzcEpwNtcNaUMkvAn1VmIEFa1KBvQSKp3f0VmreoAw14ED8KHDhLHjkG9nS+rfUQH8j7oCvMO06tfivliGTDLx3U1vH3IQey1P0I/zveAYprXqFMVIZdaBzvCEBx6cXgVP4Asw69qGZK2CgyvFYUjJge90CJLtbN6psp9pjoTOPBFnxhyOUH9 rsa@sshgate";

/// `ssh-keygen -lf` of it.
pub(super) const RSA2048_SHA256: &str = "SHA256:sT+x4pdW+y8PKhC7NwYwjZWLKMK8gm4UYisNO8JXIx8";

/// `ssh-keygen -E md5 -lf` of it.
pub(super) const RSA2048_MD5: &str = "fe:48:a3:06:95:e1:27:3e:27:0e:44:9c:e0:05:bb:71";

/// `ssh-keygen -t rsa -b 1024`: a key below the minimum.
pub(super) const RSA1024_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC896KD0H1o+DJWPRfWlsBGm1pxOivGnXoJFNMJK60VEFld8dic63HEwYqQXplS3TLjy4Qb31jCOqxmgsYZH7MWtqfYUuZtTEYYnslDDJm1U6YsmLfYpzeVqjo/qZqxdJzbfTJiWJayqb0tkdPqPlA8We0/YNw1BGs4/jYWfe/uSQ== small";

/// `ssh-keygen -lf` of it.
pub(super) const RSA1024_SHA256: &str = "SHA256:rzI5samdCsNpqDpzmbVjl2dZunYrSAqIB384X/kQQvU";

/// `ssh-keygen -E md5 -lf` of it.
pub(super) const RSA1024_MD5: &str = "ee:b1:85:3a:11:73:2d:4f:d1:de:c0:21:da:e1:7d:2b";

/// The message signed below.
pub(super) const SIGNED_MESSAGE: &str = "sshgate test message";

/// `openssl dgst -sha1 -sign` of the message with `RSA2048_FILE` (hex).
pub(super) const RSA2048_PKCS1_SHA1: &str = "129723c738d8a42b4b4f49733941516fcd20b2930bf70710ab86142fe37b43e4ad742280223a86dbf1aaecf5d2a88740b317305c6a274d2ffebc9517f630f83a8ce8cc38811eb754dccdfda2edd95712a8e1e392c5c6301066f368152b487ccf2fc1cab84f57472f7f65741e1e0568864b8b1670622ce930a393e0a39d10643cb447ffd373a2b2df1b98c86ed59089cb80f522ab04207c6b7c46da145df5471c3b95f17d0119da82c699bb745907a2e029e6d32f8b218c61f075089077039216faf5ccc93267416cd29229478d5198bd4d8c74990b59129180ac52643c4ef6d18b73941e16c61fe862794094c0b8c9297694744dbddba49bc050106305b18b9b";

/// `openssl dgst -sha256 -sign` of the message with `RSA2048_FILE` (hex).
pub(super) const RSA2048_PKCS1_SHA256: &str = "4feaea76cf797a256de5985a7cc1565cb3dd7bf2612cd3b22f9520fdc7071b98b3c0c7dc7d43f608ebc63a3f9e3038b694bdf27caf838b95c283fbff43aaf62446db7408d16b11fda47965ada380f229e93214dc9ee342bb09a11c664ad41ba43c60911231cc42f17b33aba7af1eb353c060645f3b1eca36875336cafa2913f80c320c2795c0b4b2a0220ab08c448b234b66b2e0ebbd30465bb28aae323dc8a559723e2da3e3b261394ea05aba262b7237516a090be17a25f355dec000b42e45b9efbfa470244ae0317734d95e78122a6593ac69ea57be81e57463511d1d29ceb80bea90d2bb37e5a1a4f63091f9d9d1ed1cbbbc3046ac643527865239eb1a3c";

/// `openssl dgst -sha512 -sign` of the message with `RSA2048_FILE` (hex).
pub(super) const RSA2048_PKCS1_SHA512: &str = "7c786574e21bdd0f342aef0efb45ea69ed27e93a0d89bac836b50252e1b1c76c6c31e58211d539943b62a3524914004e780beaff5f17a1d2904766aea7bd847a3e09368e92ce9f2f9c79c81aa118fd73f078ac0bc8acd0d604a1cd07b7717a804650c6304e769f52b046850b08676a41b47f98d571bbdb7f06d357f7e6a0b108ff743e2ff6b77a7391fab538c47694d28719560621cbab84dafdaf8b8375d79c6c6a570079260c9cba9503da14963d51b19fba663da187685c8f047afb9089d6bedd24678f7dbbde252c132c9d5dee63300fc849b20d6803071ae13f518f3fbf6cda24576ccdac657018462da55a173f39589ee018ecb1a8c1eea954f8d3c502";

/// `ssh-keygen -Y sign -n file` of the message with `P256_FILE`.
pub(super) const P256_SSHSIG: &str = r"-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAAGgAAAATZWNkc2Etc2hhMi1uaXN0cDI1NgAAAAhuaXN0cDI1NgAAAE
EExYD+m36SHCh0QSg1j7U5n5Kto4Hf/jq9PaQUcXCvK1qiuDdizMYNx74GG71W4YWHU6Uj
m/Wb7F9I6pUad18p1AAAAARmaWxlAAAAAAAAAAZzaGE1MTIAAABlAAAAE2VjZHNhLXNoYT
ItbmlzdHAyNTYAAABKAAAAIQCsg9vEcvkGBVI/+HqS29LpYrPW3IHYMcwugrLg1GoXmwAA
ACEA87V1t1luPVungOoLIBO+Yr5Daaf9BP3OoXNtfD93weQ=
-----END SSH SIGNATURE-----
";

/// `ssh-keygen -Y sign -n file` of the message with `RSA2048_FILE`.
pub(super) const RSA2048_SSHSIG: &str = r"-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAARcAAAAHc3NoLXJzYQAAAAMBAAEAAAEBALw1fAZQrAvhE+ds/3tBr5
BRMm9svVviQqnGr9fuY3yhfWBZp72Vw5RJQ8siqkkYZZiRiNK1fF6W53pK2VR/eQYW9MXz
OQgjhe8jGteX0OphZXnpTc8WprY58dYDcenCV8kv9ny5/OS7UfLyuItdgqERdOsD9wkENd
PNwSnA21w1pQyS8CfVWYgQVrUoG9BIqnd/RWat6gDDXgQPwocOEseOQb2dL6t9RAfyPugK
8w7Tq1+K+WIZMMvHdTW8fchB7LU/Qj/O94BimteoUxUhl1oHO8IQHHpxeBU/gCzDr2oZkr
YKDK8VhSMmB73QIku1s3qmyn2mOhM48EWfGHI5Qf0AAAAEZmlsZQAAAAAAAAAGc2hhNTEy
AAABFAAAAAxyc2Etc2hhMi01MTIAAAEAbruIxb2yvwkxymKXXc3sZ17rkkf0Uw2JO1yImN
rdhbCSgWpp7hdqmOH+tT219UgQtifja/O6y2kyEG1IWV/fcOTGinTZVxr4RPjb2z6KGjOP
MD4ynqtljjkmffpH6xJFQLoYi8JyDvTyRfLOzipcsXqntwB+4bMdtLrBCh7D74LVexCmvQ
kWw+c0MkUumPJJpI72TtmmdcpFq1IWAmQz6sCx3a8quiwQM9lhQaKZmh+zi18+JrzD/AFi
Zb3qgtvdi6uO98BrRzRn3v4I9Y7Hvw2XSA4dfelXribYBHIMwIrTZ3T3SFVStIu1sS2+d3
DN8K32oXvTAB+ZHLsDiR6i7Q==
-----END SSH SIGNATURE-----
";

/// `ssh-keygen -Y sign -n file` of the message with `ED25519_FILE`.
pub(super) const ED25519_SSHSIG: &str = r"-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgZ95z+i9qpPxWuxJI6NGocwXP8Z
bRkG0mPi1Zj3Vjh/QAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx
OQAAAEB9UdpeDvfhPtx2EmM3fMQqEZHMDBAPEB5VrLlh4Zx8G5ehWx9mMrBhLsb+DyBsX+
Fy16iSJjKN6aU4lVMEGFMA
-----END SSH SIGNATURE-----
";

# Shared by the ICAP end-to-end test and benchmark: a throwaway CA (what a
# TLS-intercepting proxy signs its certificates with, and what the client
# trusts) and a server certificate for files.test from it.
#
# make_test_ca DIR: writes DIR/ca.pem, ca.key, server.pem, server.key (the
# keys readable by all: Squid runs as its own user; they live as long as
# the test's directory). DIR becomes 0755 for the same reason.
make_test_ca() {
  local dir=$1
  chmod 755 "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dlpd test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=files.test" -keyout "$dir/server.key" \
    -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:files.test\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
  chmod 644 "$dir"/*.pem "$dir"/*.key
}

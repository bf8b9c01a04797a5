#include "transport/tls_files.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace voxterm {

Status CheckCaFile(const std::string& what, const std::string& path) {
  const std::string name = what + " " + path + ": ";
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::Error(name + strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::Error(name + "not a regular file");
  // OpenSSL's own loader, into a store of its own: what loads here loads for the handshake.
  X509_STORE* store = X509_STORE_new();
  if (!store) return Status::Error(name + "out of memory");
  ERR_clear_error();
  const bool loaded = X509_STORE_load_file(store, path.c_str()) == 1;
  X509_STORE_free(store);
  if (loaded) return Status::Ok();
  char reason[256] = "";
  if (const unsigned long error = ERR_get_error()) ERR_error_string_n(error, reason, sizeof reason);
  ERR_clear_error();
  return Status::Error(name + "no PEM certificate could be read from it" +
                       (*reason ? std::string(" (") + reason + ")" : std::string()));
}

Status CheckSslCertFile() {
  const char* variable = X509_get_default_cert_file_env();  // "SSL_CERT_FILE"
  if (const char* file = getenv(variable); file && *file) return CheckCaFile(variable, file);
  return Status::Ok();
}

}  // namespace voxterm

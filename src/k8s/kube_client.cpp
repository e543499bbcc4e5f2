#include "k8s/kube_client.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>

#include <mutex>

#include "core/small_file.h"

namespace loupe::k8s {
namespace {

struct ParsedUrl {
  bool https = true;
  std::string host;
  int port = 443;
};

std::optional<ParsedUrl> parse_url(const std::string& url) {
  ParsedUrl u;
  std::string_view s = url;
  if (s.rfind("https://", 0) == 0) {
    s.remove_prefix(8);
  } else if (s.rfind("http://", 0) == 0) {
    s.remove_prefix(7);
    u.https = false;
    u.port = 80;
  } else {
    return std::nullopt;
  }
  s = s.substr(0, s.find('/'));
  size_t colon = s.rfind(':');
  if (!s.empty() && s[0] == '[') {  // [v6]:port
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(s.substr(1, close - 1));
    colon = s.size() > close + 1 && s[close + 1] == ':' ? close + 1 : std::string_view::npos;
  } else {
    u.host = std::string(s.substr(0, colon));
  }
  if (colon != std::string_view::npos) {
    try {
      u.port = std::stoi(std::string(s.substr(colon + 1)));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (u.host.empty()) return std::nullopt;
  return u;
}

// A store holding every certificate of a PEM bundle; SSL_CTX takes ownership.
X509_STORE* store_from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return nullptr;
  X509_STORE* store = X509_STORE_new();
  int n = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++n;
  }
  BIO_free(bio);
  if (n == 0) {
    X509_STORE_free(store);
    return nullptr;
  }
  return store;
}

}  // namespace

KubeClient::KubeClient(KubeConfig cfg) : cfg_(std::move(cfg)) {
  // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer that closed
  // (an API server restart, or our own cancel()) would kill the process
  // with SIGPIPE instead of failing the request.
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}
KubeClient::~KubeClient() = default;

std::string KubeClient::current_token() const {
  if (!cfg_.token_file.empty()) {
    if (auto t = read_small_file(cfg_.token_file)) return trim(*t);
  }
  return cfg_.token;
}

std::unique_ptr<httplib::ClientImpl> KubeClient::connect(std::string* error) const {
  auto url = parse_url(cfg_.server);
  if (!url) {
    *error = "bad API server URL '" + cfg_.server + "'";
    return nullptr;
  }
  std::unique_ptr<httplib::ClientImpl> cli;
  if (url->https) {
    std::unique_ptr<httplib::SSLClient> ssl;
    std::string cert = cfg_.client_cert_data, key = cfg_.client_key_data;
    if (cert.empty() && !cfg_.client_cert_file.empty())
      cert = read_small_file(cfg_.client_cert_file).value_or("");
    if (key.empty() && !cfg_.client_key_file.empty())
      key = read_small_file(cfg_.client_key_file).value_or("");
    if (!cert.empty() && !key.empty()) {
      BIO* cb = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
      BIO* kb = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
      X509* x = cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr;
      EVP_PKEY* k = kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr;
      if (x && k) ssl = std::make_unique<httplib::SSLClient>(url->host, url->port, x, k);
      if (x) X509_free(x);
      if (k) EVP_PKEY_free(k);
      if (cb) BIO_free(cb);
      if (kb) BIO_free(kb);
      if (!ssl) {
        *error = "cannot load client certificate/key from " + cfg_.source;
        return nullptr;
      }
    } else {
      ssl = std::make_unique<httplib::SSLClient>(url->host, url->port);
    }
    if (cfg_.insecure_skip_tls_verify) {
      ssl->enable_server_certificate_verification(false);
    } else {
      ssl->enable_server_certificate_verification(true);
      if (!cfg_.ca_data.empty()) {
        X509_STORE* store = store_from_pem(cfg_.ca_data);
        if (!store) {
          *error = "certificate-authority-data holds no PEM certificate";
          return nullptr;
        }
        ssl->set_ca_cert_store(store);
      } else if (!cfg_.ca_file.empty()) {
        // Loaded per connection so a rotated CA bundle is picked up as well.
        auto pem = read_small_file(cfg_.ca_file);
        X509_STORE* store = pem ? store_from_pem(*pem) : nullptr;
        if (!store) {
          *error = "cannot read a PEM CA certificate from " + cfg_.ca_file;
          return nullptr;
        }
        ssl->set_ca_cert_store(store);
      }  // else: the system trust store
    }
    cli = std::move(ssl);
  } else {
    cli = std::make_unique<httplib::ClientImpl>(url->host, url->port);
  }
  cli->set_connection_timeout(10);
  cli->set_read_timeout(30);
  std::string token = current_token();
  if (!token.empty()) cli->set_bearer_token_auth(token);
  cli->set_default_headers({{"Accept", "application/json"}, {"User-Agent", "loupe-cluster"}});
  return cli;
}

HttpResult KubeClient::get(const std::string& path) {
  HttpResult out;
  auto cli = connect(&out.error);
  if (!cli) return out;
  auto res = cli->Get(path.c_str());
  if (!res) {
    out.error = httplib::to_string(res.error());
    if (auto* ssl = dynamic_cast<httplib::SSLClient*>(cli.get());
        ssl && ssl->get_openssl_verify_result() != X509_V_OK) {
      out.error += std::string(" (certificate: ") +
                   X509_verify_cert_error_string(ssl->get_openssl_verify_result()) + ")";
    }
    return out;
  }
  out.status = res->status;
  out.body = std::move(res->body);
  return out;
}

HttpResult KubeClient::stream(const std::string& path,
                              const std::function<bool(std::string_view)>& on_line,
                              int read_timeout_s) {
  HttpResult out;
  auto cli = connect(&out.error);
  if (!cli) return out;
  cli->set_read_timeout(read_timeout_s);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) {
      out.error = "cancelled";
      return out;
    }
    in_flight_ = cli.get();
  }
  int status = 0;
  std::string pending;
  bool stopped = false;
  auto res = cli->Get(
      path.c_str(), httplib::Headers{},
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status < 200 || status >= 300) {  // keep the error body (a Status object)
          if (out.body.size() < 65536) out.body.append(data, len);
          return true;
        }
        pending.append(data, len);
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
          std::string_view line(pending.data() + start, nl - start);
          if (!line.empty() && !on_line(line)) {
            stopped = true;
            return false;
          }
        }
        pending.erase(0, start);
        if (pending.size() > (64u << 20)) return false;  // a runaway line: drop the stream
        return true;
      });
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ = nullptr;
  }
  out.status = status;
  if (!res && !stopped && status == 0) out.error = httplib::to_string(res.error());
  if (!stopped && status >= 200 && status < 300 && !trim(pending).empty()) {
    on_line(pending);  // a final line without '\n'
  }
  return out;
}

void KubeClient::cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (in_flight_) in_flight_->stop();
}

}  // namespace loupe::k8s

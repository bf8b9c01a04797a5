#include "util/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/base64.h"

namespace voxterm {
namespace {

bool StartsWith(std::string_view bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && bytes.compare(0, prefix.size(), prefix) == 0;
}

constexpr std::string_view kDataUrlBase64 = ";base64,";

std::string Describe(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path;
}

}  // namespace

// The signatures as each format's specification gives them: PNG's eight bytes, JPEG's SOI marker
// and the start of the next marker, GIF's two versions, and WebP's RIFF container, whose form
// type is at bytes 8 to 11.
std::optional<ImageType> DetectImageType(std::string_view bytes) {
  if (StartsWith(bytes, std::string_view("\x89PNG\r\n\x1a\n", 8))) return ImageType::kPng;
  if (StartsWith(bytes, "\xff\xd8\xff")) return ImageType::kJpeg;
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) return ImageType::kGif;
  if (bytes.size() >= 12 && StartsWith(bytes, "RIFF") && bytes.compare(8, 4, "WEBP") == 0) {
    return ImageType::kWebp;
  }
  return std::nullopt;
}

std::string_view MimeType(ImageType type) {
  switch (type) {
    case ImageType::kPng: return "image/png";
    case ImageType::kJpeg: return "image/jpeg";
    case ImageType::kWebp: return "image/webp";
    case ImageType::kGif: return "image/gif";
  }
  return "application/octet-stream";
}

// Encoded straight into the URL's string, sized once: no temporary of the base64 text.
std::string ImageDataUrl(ImageType type, std::string_view bytes) {
  const std::string_view mime = MimeType(type);
  std::string url;
  url.reserve(5 + mime.size() + kDataUrlBase64.size() + Base64EncodedSize(bytes.size()));
  url.append("data:").append(mime).append(kDataUrlBase64);
  const size_t start = url.size();
  url.resize(start + Base64EncodedSize(bytes.size()));
  Base64EncodeTo(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &url[start]);
  return url;
}

// The size is checked on the open file (fstat), and the read stops one byte past the limit all
// the same: a file that grows, or a FIFO, cannot make voxterm read more.
Result<InputImage> LoadImage(const std::string& path, std::string_view what) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Result<InputImage>::Error(Describe(what, path) + ": " + strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Result<InputImage>::Error(Describe(what, path) + ": not a regular file");
  }
  const std::string too_large = Describe(what, path) + ": larger than the " +
                                std::to_string(kMaxImageBytes >> 20) +
                                " MiB an image may have (the API takes 15 MiB per message)";
  if (static_cast<uint64_t>(st.st_size) > kMaxImageBytes) {
    close(fd);
    return Result<InputImage>::Error(too_large);
  }
  std::string bytes(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = read(fd, &bytes[got], bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return Result<InputImage>::Error(Describe(what, path) + ": " + strerror(error));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got == bytes.size() && got <= kMaxImageBytes) bytes.resize(got + 1 + got / 2);
    if (got > kMaxImageBytes) break;
  }
  close(fd);
  if (got > kMaxImageBytes) return Result<InputImage>::Error(too_large);
  bytes.resize(got);
  const std::optional<ImageType> type = DetectImageType(bytes);
  if (!type) {
    return Result<InputImage>::Error(Describe(what, path) +
                                     ": not a PNG, JPEG, WebP or GIF image (by its content)");
  }
  InputImage image;
  image.data_url = ImageDataUrl(*type, bytes);
  image.name = path;
  image.type = *type;
  image.bytes = got;
  return image;
}

}  // namespace voxterm

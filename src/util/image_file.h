// Images for a user turn (--image, /image): a file read once, its type known by its first
// bytes (never by its name), and turned into the data: URL an input_image part carries.
// The size limit keeps one image's event under the 15 MiB the API takes per client event
// (../shared/protocol/PROTOCOL.md, section h): base64 makes 10 MiB into 13.3 MiB.
// Thread safety: pure functions but LoadImage, which reads a file: main thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace voxterm {

enum class ImageType { kPng, kJpeg, kWebp, kGif };

// The largest image file voxterm sends; also the most the images of one turn may hold together.
inline constexpr size_t kMaxImageBytes = 10u << 20;

// The type bytes begin with (their "magic"), or nullopt for none of the four.
std::optional<ImageType> DetectImageType(std::string_view bytes);
std::string_view MimeType(ImageType type);  // "image/png"

// An image ready to send. Only the data: URL is kept (the file's bytes are not): it is what goes
// into the message, and what a turn sent again after a lost connection needs.
struct InputImage {
  std::string data_url;  // "data:image/png;base64,..."
  std::string name;      // the path as given, for messages and the transcript
  ImageType type = ImageType::kPng;
  size_t bytes = 0;  // of the file
};

// The data: URL of bytes of that type.
std::string ImageDataUrl(ImageType type, std::string_view bytes);

// Reads path (at most kMaxImageBytes, else an error) and makes it an InputImage. what names it in
// errors, which are one line: "--image x.txt: not a PNG, JPEG, WebP or GIF image".
Result<InputImage> LoadImage(const std::string& path, std::string_view what);

}  // namespace voxterm

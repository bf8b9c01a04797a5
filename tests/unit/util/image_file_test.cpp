#include "util/image_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "util/base64.h"

using namespace voxterm;

namespace {

const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
const std::string kJpeg("\xff\xd8\xff\xe0\0\x10JFIF", 10);
const std::string kGif = "GIF89a\x01\x00\x01\x00";
const std::string kWebp("RIFF\x1a\0\0\0WEBPVP8L", 16);

// A file of these bytes in a fresh directory, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    char dir[] = "/tmp/voxterm_image_XXXXXX";
    REQUIRE(mkdtemp(dir));
    dir_ = dir;
    path_ = dir_ + "/picture.bin";
    FILE* f = fopen(path_.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    fclose(f);
  }
  ~TempFile() {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace

TEST_CASE("an image's type is known by its first bytes", "[image]") {
  CHECK(DetectImageType(kPng) == ImageType::kPng);
  CHECK(DetectImageType(kJpeg) == ImageType::kJpeg);
  CHECK(DetectImageType(kGif) == ImageType::kGif);
  CHECK(DetectImageType("GIF87a..") == ImageType::kGif);
  CHECK(DetectImageType(kWebp) == ImageType::kWebp);
  CHECK(MimeType(ImageType::kWebp) == "image/webp");
}

TEST_CASE("what is not one of the four formats has no type", "[image]") {
  CHECK_FALSE(DetectImageType(""));
  CHECK_FALSE(DetectImageType("hello, world"));
  CHECK_FALSE(DetectImageType(kPng.substr(0, 7)));                          // PNG cut short
  CHECK_FALSE(DetectImageType(std::string("RIFF\x1a\0\0\0WAVEfmt ", 16)));  // a WAV file
  CHECK_FALSE(DetectImageType("RIFF\x1a\0\0"));                             // too short for WebP
  CHECK_FALSE(DetectImageType("GIF90a"));
  CHECK_FALSE(DetectImageType("%PDF-1.7"));
}

TEST_CASE("a data URL carries the type and the bytes in base64", "[image]") {
  const std::string url = ImageDataUrl(ImageType::kPng, kPng);
  CHECK(url == "data:image/png;base64," + Base64Encode(kPng));
}

TEST_CASE("an image file is read whole into its data URL, by content not name", "[image]") {
  TempFile file(kJpeg + std::string(1000, '\x42'));  // named .bin
  auto image = LoadImage(file.path(), "--image");
  REQUIRE(image.ok());
  CHECK(image->type == ImageType::kJpeg);
  CHECK(image->bytes == 1010);
  CHECK(image->name == file.path());
  const std::string prefix = "data:image/jpeg;base64,";
  REQUIRE(image->data_url.compare(0, prefix.size(), prefix) == 0);
  CHECK(Base64Decode(image->data_url.substr(prefix.size())) == kJpeg + std::string(1000, '\x42'));
}

TEST_CASE("a file that is not an image is refused, named", "[image]") {
  TempFile file("just some text\n");
  auto image = LoadImage(file.path(), "--image");
  REQUIRE_FALSE(image.ok());
  CHECK(image.message() ==
        "--image " + file.path() + ": not a PNG, JPEG, WebP or GIF image (by its content)");
}

TEST_CASE("an image over the limit is refused, one at the limit is not", "[image]") {
  std::string bytes = kPng + std::string(kMaxImageBytes - kPng.size(), '\0');
  {
    TempFile at_limit(bytes);
    CHECK(LoadImage(at_limit.path(), "--image").ok());
  }
  bytes.push_back('\0');
  TempFile over(bytes);
  auto image = LoadImage(over.path(), "/image");
  REQUIRE_FALSE(image.ok());
  CHECK(image.message().find("/image " + over.path() + ": larger than the 10 MiB") == 0);
}

TEST_CASE("a missing file or a directory is an error that says so", "[image]") {
  auto missing = LoadImage("/nonexistent/voxterm.png", "--image");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message() == "--image /nonexistent/voxterm.png: No such file or directory");
  auto dir = LoadImage("/tmp", "--image");
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.message() == "--image /tmp: not a regular file");
}

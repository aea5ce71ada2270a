//! Build script: generates the C header into OUT_DIR (see include/bedrock_stream.h).
fn main() {}

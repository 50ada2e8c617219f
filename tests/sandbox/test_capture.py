from sandbox.capture import CappedStream


def test_short_output_is_kept_whole():
    stream = CappedStream(100)
    stream.write(b"hello ")
    stream.write(b"world")
    assert stream.text() == "hello world"
    assert not stream.truncated


def test_long_output_keeps_head_and_tail():
    stream = CappedStream(10)
    for chunk in (b"abcde", b"fghij", b"klmno", b"pqrst"):
        stream.write(chunk)
    assert stream.truncated
    assert stream.text().startswith("abcde")
    assert stream.text().endswith("pqrst")
    assert "10 bytes omitted" in stream.text()


def test_a_tail_taken_from_elsewhere_ends_the_text_and_marks_a_gap():
    stream = CappedStream(10)
    stream.write(b"abcdefgh")
    stream.replace_tail(b"....the end")
    stream.write(b"late middle bytes")
    assert stream.truncated
    assert stream.text() == "abcde\n[... output omitted ...]\ne end"

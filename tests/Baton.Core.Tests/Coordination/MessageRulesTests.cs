using Baton.Core.Coordination;
using Baton.Core.Errors;

namespace Baton.Core.Tests.Coordination;

public class MessageRulesTests
{
    [Fact]
    public void Validate_OneMegabyteBody_IsRefusedAsTooLarge()
    {
        var error = Should.Throw<BatonException>(() => MessageRules.Validate("Big", new string('x', 1024 * 1024)));

        error.Code.ShouldBe(ErrorCodes.MessageTooLarge);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Message.ShouldContain("1,048,576 bytes");
        error.Message.ShouldContain("65,536");
        error.Suggestion.ShouldContain("path");
    }

    [Fact]
    public void Validate_BodyOfExactlyTheLimit_IsAccepted() =>
        Should.NotThrow(() => MessageRules.Validate("Edge", new string('x', MessageRules.MaxBodyBytes)));

    [Fact]
    public void Validate_LimitCountsUtf8Bytes_NotCharacters()
    {
        // 'é' is two bytes in UTF-8: half the limit in characters is the whole limit in bytes.
        Should.NotThrow(() => MessageRules.Validate("Accents", new string('é', MessageRules.MaxBodyBytes / 2)));
        Should.Throw<BatonException>(() => MessageRules.Validate("Accents", new string('é', (MessageRules.MaxBodyBytes / 2) + 1))).Code.ShouldBe(ErrorCodes.MessageTooLarge);
    }

    [Fact]
    public void Validate_ControlCharacters_AreAcceptedAsGiven() =>
        Should.NotThrow(() => MessageRules.Validate("Bell \u0007", "clear \u001b[2J screen \u009b31m"));

    [Theory]
    [InlineData(null, "body", ErrorCodes.MessageSubjectMissing)]
    [InlineData("  ", "body", ErrorCodes.MessageSubjectMissing)]
    [InlineData("two\nlines", "body", ErrorCodes.MessageSubjectInvalid)]
    [InlineData("Subject", null, ErrorCodes.MessageBodyMissing)]
    [InlineData("Subject", " \n ", ErrorCodes.MessageBodyMissing)]
    public void Validate_MissingOrBadParts_AreUsageErrors(string? subject, string? body, string code)
    {
        var error = Should.Throw<BatonException>(() => MessageRules.Validate(subject, body));

        error.Code.ShouldBe(code);
        error.ExitCode.ShouldBe(ExitCodes.BadUsage);
        error.Suggestion.ShouldNotBeEmpty();
    }

    [Fact]
    public void ValidateSubject_LongerThanTheLimit_IsRefused() =>
        Should.Throw<BatonException>(() => MessageRules.ValidateSubject(new string('s', MessageRules.MaxSubjectChars + 1))).Code.ShouldBe(ErrorCodes.MessageSubjectInvalid);

    [Fact]
    public async Task ReadBoundedAsync_EndlessInput_StopsJustPastTheLimitAndRefuses()
    {
        using var input = new StreamReader(new EndlessStream());

        var error = await Should.ThrowAsync<BatonException>(() => MessageRules.ReadBoundedAsync(input, "message body", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        error.Code.ShouldBe(ErrorCodes.MessageTooLarge);
        error.Message.ShouldContain("standard input");
    }

    [Fact]
    public async Task ReadBoundedAsync_SmallInput_ReturnsItAll()
    {
        using var input = new StringReader("line one\nline two\n");

        (await MessageRules.ReadBoundedAsync(input, "message body", CancellationToken.None)).ShouldBe("line one\nline two\n");
    }

    /// <summary>A stream that never ends, like `yes | baton mail send …`.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)'y', offset, count);
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

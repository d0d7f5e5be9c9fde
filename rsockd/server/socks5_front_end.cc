#include "rsockd/server/socks5_front_end.h"

#include <string.h>

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "rsockd/base/status_macros.h"
#include "rsockd/server/log_field.h"

namespace rsockd {
namespace {

Request ToRequest(const net::Socks5Request& socks5, std::string user,
                  const net::SocketAddress& client) {
  Request request;
  request.version = SocksVersion::kSocks5;
  request.command = socks5.command == net::Socks5Command::kBind
                        ? Command::kBind
                        : Command::kConnect;
  const net::Socks5Address& destination = socks5.destination;
  request.destination.name = destination.host_name;
  request.destination.address =
      net::SocketAddress(destination.ip, destination.port);
  request.user_id_origin =
      user.empty() ? UserIdOrigin::kNone : UserIdOrigin::kVerified;
  request.user_id = std::move(user);
  request.client = client;
  return request;
}

}  // namespace

net::Socks5Method ChooseSocks5Method(const net::Socks5Greeting& greeting,
                                     Socks5Auth auth, bool have_passwords) {
  if (auth != Socks5Auth::kNone && have_passwords &&
      greeting.Offers(net::Socks5Method::kUserPass)) {
    return net::Socks5Method::kUserPass;
  }
  if (auth != Socks5Auth::kPassword &&
      greeting.Offers(net::Socks5Method::kNoAuth)) {
    return net::Socks5Method::kNoAuth;
  }
  return net::Socks5Method::kNoneAcceptable;
}

net::Socks5ReplyCode Socks5ReplyCodeFor(const Outcome& outcome) {
  using Code = net::Socks5ReplyCode;
  if (outcome.granted()) return Code::kSucceeded;
  switch (outcome.failure()) {
    case Failure::kDeniedByRules:
    // SOCKS5 has no ident codes: identd's verdict is the ruleset's.
    case Failure::kIdentUnavailable:
    case Failure::kIdentMismatch:
      return Code::kNotAllowed;
    case Failure::kUpstreamRefused: {
      // A SOCKS5 upstream's REP says what happened there; a SOCKS4
      // upstream's 91..93 can only be "not allowed".
      const UpstreamRefusal& upstream = outcome.upstream();
      if (upstream.version == SocksVersion::kSocks5 && upstream.code > 0 &&
          upstream.code <=
              static_cast<uint8_t>(Code::kAddressTypeNotSupported)) {
        return static_cast<Code>(upstream.code);
      }
      return Code::kNotAllowed;
    }
    case Failure::kNetworkUnreachable:
      return Code::kNetworkUnreachable;
    case Failure::kHostUnreachable:
      return Code::kHostUnreachable;
    case Failure::kConnectionRefused:
      return Code::kConnectionRefused;
    case Failure::kTimedOut:
      return Code::kTtlExpired;
    case Failure::kCommandUnsupported:
      return Code::kCommandNotSupported;
    case Failure::kAddressTypeUnsupported:
      return Code::kAddressTypeNotSupported;
    case Failure::kGeneralFailure:
      break;
  }
  return Code::kGeneralFailure;
}

absl::StatusOr<Request> Socks5FrontEnd::ReadRequest(
    absl::Span<const uint8_t> received, const net::Deadline& deadline) {
  pending_ = received;
  RSOCKD_ASSIGN_OR_RETURN(const net::Socks5Method method, Negotiate(deadline));
  std::string user;
  if (method == net::Socks5Method::kUserPass) {
    RSOCKD_ASSIGN_OR_RETURN(user, Authenticate(deadline));
  }
  net::Socks5RequestParser parser;
  if (absl::Status parsed = Parse(parser, deadline); !parsed.ok()) {
    // The connection is dropped either way: a reply that cannot be sent
    // changes nothing.
    Reply(parser.error_reply(), net::SocketAddress()).IgnoreError();
    return parsed;
  }
  if (parser.request().command == net::Socks5Command::kUdpAssociate) {
    Reply(net::Socks5ReplyCode::kCommandNotSupported, net::SocketAddress())
        .IgnoreError();
    return absl::UnimplementedError("SOCKS5 UDP ASSOCIATE is not supported");
  }
  early_data_.assign(pending_.begin(), pending_.end());
  return ToRequest(parser.request(), std::move(user), context_.peer);
}

absl::Status Socks5FrontEnd::Parse(net::Socks5Parser& parser,
                                   const net::Deadline& deadline) {
  for (;;) {
    RSOCKD_ASSIGN_OR_RETURN(const size_t used, parser.Feed(pending_));
    pending_.remove_prefix(used);
    if (parser.done()) return absl::OkStatus();
    // The parser took everything: buffer_ is free to read into.
    absl::StatusOr<size_t> n =
        ReadHandshakeBytes(*context_.client, absl::MakeSpan(buffer_), deadline);
    if (!n.ok()) {
      // Say how much of the message came (EndOfInput), and why no more.
      return absl::Status(n.status().code(),
                          absl::StrCat(parser.EndOfInput().message(), "; ",
                                       n.status().message()));
    }
    pending_ = absl::MakeConstSpan(buffer_, *n);
  }
}

absl::StatusOr<net::Socks5Method> Socks5FrontEnd::Negotiate(
    const net::Deadline& deadline) {
  net::Socks5GreetingParser parser;
  // A malformed or truncated greeting gets no answer: no method was agreed,
  // so none would be understood.
  RSOCKD_RETURN_IF_ERROR(Parse(parser, deadline));
  const net::Socks5Method method = ChooseSocks5Method(
      parser.greeting(), context_.socks5_auth, context_.passwords != nullptr);
  RSOCKD_RETURN_IF_ERROR(
      Answer(net::EncodeSocks5MethodChoice(method), deadline));
  if (method == net::Socks5Method::kNoneAcceptable) {
    context_.stats->socks5_no_method.fetch_add(1, std::memory_order_relaxed);
    std::string offered;
    for (const net::Socks5Method offer : parser.greeting().methods) {
      absl::StrAppend(&offered, offered.empty() ? "" : " ",
                      absl::Hex(static_cast<uint8_t>(offer), absl::kZeroPad2));
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "SOCKS5: no acceptable authentication method among those offered (",
        offered, ")"));
  }
  return method;
}

absl::StatusOr<std::string> Socks5FrontEnd::Authenticate(
    const net::Deadline& deadline) {
  net::Socks5UserPassParser parser;
  const absl::Status parsed = Parse(parser, deadline);
  const bool verified =
      parsed.ok() && context_.passwords->Verify(parser.credentials().user,
                                                parser.credentials().password);
  const std::string user = parsed.ok() ? parser.credentials().user : "";
  // The password is of no more use: no copy of it outlives the check.
  parser.WipePassword();
  // Nor does any in buffer_: keep only what follows the login, at its
  // start. (The session wipes the first read's buffer, `received`.)
  memmove(buffer_, pending_.data(), pending_.size());
  explicit_bzero(buffer_ + pending_.size(), sizeof(buffer_) - pending_.size());
  pending_ = absl::MakeConstSpan(buffer_, pending_.size());
  const uint8_t status =
      verified ? net::kSocks5UserPassSuccess : net::kSocks5UserPassFailure;
  const absl::Status answered =
      Answer(net::EncodeSocks5UserPassStatus(status), deadline);
  if (!verified) {
    context_.stats->socks5_auth_failed.fetch_add(1, std::memory_order_relaxed);
    if (!parsed.ok()) return parsed;
    return absl::PermissionDeniedError(absl::StrCat(
        "SOCKS5: user ", EscapeLogField(user), " failed authentication (",
        context_.passwords->filename(), ")"));
  }
  RSOCKD_RETURN_IF_ERROR(answered);
  return user;
}

absl::Status Socks5FrontEnd::Answer(absl::Span<const uint8_t> answer,
                                    const net::Deadline& deadline) {
  return context_.client->WriteAll(answer, deadline);
}

absl::Status Socks5FrontEnd::SendReply(const Outcome& outcome) {
  return Reply(Socks5ReplyCodeFor(outcome),
               outcome.granted() ? outcome.address() : net::SocketAddress());
}

absl::Status Socks5FrontEnd::Reply(net::Socks5ReplyCode code,
                                   const net::SocketAddress& bound) {
  context_.stats->CountReply(code);
  const std::string reply = net::EncodeSocks5Reply(
      {.code = code,
       .bound = {.ip = bound.ip(), .host_name = {}, .port = bound.port()}});
  return context_.client->WriteAll(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(reply.data()),
                          reply.size()),
      net::Deadline::In(context_.reply_timeout, context_.stop));
}

}  // namespace rsockd

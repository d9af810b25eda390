#!/usr/bin/perl
# Probes for daemons that answer on a unix socket, with nothing but perl-base in the container:
#
#   probe.pl unix PATH TEXT      send TEXT, print the whole reply (haproxy's stats socket)
#   probe.pl fcgi PATH SCRIPT    run the PHP file SCRIPT through the FastCGI responder at PATH
#                                (php-fpm) as a web server would, print the response body
#
# Gives up after 10 s; exit 1 on any error.
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

my ($mode, $path, $arg) = @ARGV;
die "usage: probe.pl unix|fcgi PATH ARG\n" unless defined $arg;
$SIG{ALRM} = sub { die "probe: no answer from $path in 10 s\n" };
alarm 10;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
    or die "probe: connect $path: $!\n";
binmode $s;

if ($mode eq 'unix') {
    print {$s} $arg;
    local $/;
    my $reply = <$s>;
    print defined $reply ? $reply : '';
    exit 0;
}
die "probe: unknown mode $mode\n" unless $mode eq 'fcgi';

# FastCGI 1.0 records (request id 1): header, content, padding to 8 bytes.
sub record {
    my ($type, $body) = @_;
    my $pad = (8 - length($body) % 8) % 8;
    return pack('CCnnCC', 1, $type, 1, length $body, $pad, 0) . $body . ("\0" x $pad);
}
sub len { my $l = length shift; return $l < 128 ? pack('C', $l) : pack('N', $l | 0x80000000) }
my %params = (
    SCRIPT_FILENAME => $arg, SCRIPT_NAME => '/' . ($arg =~ s#.*/##r), REQUEST_METHOD => 'GET',
    QUERY_STRING => '', SERVER_PROTOCOL => 'HTTP/1.1', GATEWAY_INTERFACE => 'CGI/1.1',
    REMOTE_ADDR => '127.0.0.1', SERVER_NAME => 'localhost', SERVER_PORT => '80',
);
my $nv = join '', map { len($_) . len($params{$_}) . $_ . $params{$_} } sort keys %params;
# BEGIN_REQUEST (role RESPONDER), PARAMS, empty PARAMS, empty STDIN.
print {$s} record(1, pack('nCx5', 1, 0)) . record(4, $nv) . record(4, '') . record(5, '');

my $out = '';
while (1) {
    my $n = read($s, my $head, 8);
    die "probe: connection closed before END_REQUEST\n" unless $n && $n == 8;
    my (undef, $type, undef, $clen, $plen) = unpack('CCnnC', $head);
    my $body = '';
    read($s, $body, $clen + $plen) == $clen + $plen or die "probe: short record\n" if $clen + $plen;
    $out .= substr($body, 0, $clen) if $type == 6;    # STDOUT
    last if $type == 3;                                # END_REQUEST
}
$out =~ s/\A.*?\r?\n\r?\n//s;                          # the CGI headers
print $out;

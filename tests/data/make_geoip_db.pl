#!/usr/bin/perl
# make_geoip_db.pl: writes a small country database in the MaxMind DB format, shaped like
# GeoLite2-Country / DB-IP country-lite (country.iso_code, country.names.en), for the tests.
#
#   perl tests/data/make_geoip_db.pl OUT.mmdb [CIDR=ISO ...]
#
# Without mappings it writes the tests' default map: 10.1.0.0/16 DE, 10.2.0.0/16 BR,
# 2001:db8::/32 JP. Needs Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: make_geoip_db.pl OUT.mmdb [CIDR=ISO ...]\n";
my @map = @ARGV ? @ARGV : ('10.1.0.0/16=DE', '10.2.0.0/16=BR', '2001:db8::/32=JP');
my %names = (DE => 'Germany', BR => 'Brazil', JP => 'Japan');

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'playstat-test-Country',
    languages             => ['en'],
    description           => { en => 'playstat test country database' },
    map_key_type_callback => sub {
        my $key = shift;
        return { country => 'map', iso_code => 'utf8_string', names => 'map', en => 'utf8_string',
                 geoname_id => 'uint32' }->{$key};
    },
    # IPv4 networks are inserted as ::a.b.c.d/(96+n), as MaxMind's own databases hold them
    # (libmaxminddb looks an IPv4 address up under ::/96).
    alias_ipv6_to_ipv4    => 1,
    remove_reserved_networks => 0,
);
for my $entry (@map) {
    my ($cidr, $iso) = split /=/, $entry, 2;
    die "bad mapping '$entry' (want CIDR=ISO)\n" unless defined $iso && $cidr =~ m{/};
    $tree->insert_network($cidr, { country => { iso_code => $iso, geoname_id => 1,
                                                names => { en => $names{$iso} // $iso } } });
}
open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";

# Every property of each unit object as python3-dbus reads it: UNIT NAME SIGNATURE VALUE.
import sys
import dbus


def escape(name):
    out = ''
    for i, ch in enumerate(name.encode()):
        if chr(ch).isalpha() and ch < 128 or (i > 0 and chr(ch).isdigit()):
            out += chr(ch)
        else:
            out += '_%02x' % ch
    return out


def signature(v):
    if isinstance(v, dbus.Boolean):
        return 'b'
    for t, s in ((dbus.Byte, 'y'), (dbus.Int16, 'n'), (dbus.UInt16, 'q'), (dbus.Int32, 'i'),
                 (dbus.UInt32, 'u'), (dbus.Int64, 'x'), (dbus.UInt64, 't'), (dbus.Double, 'd'),
                 (dbus.ObjectPath, 'o'), (dbus.String, 's')):
        if isinstance(v, t):
            return s
    if isinstance(v, dbus.Array):
        return 'a' + (v.signature or '?')
    if isinstance(v, dbus.Struct):
        return '(' + ''.join(signature(x) for x in v) + ')'
    return '?'


conn = dbus.connection.Connection(sys.argv[1])
for unit in sys.argv[2:]:
    path = '/org/freedesktop/systemd1/unit/' + escape(unit)
    obj = conn.get_object('org.freedesktop.systemd1', path, introspect=False)
    kind = unit.rsplit('.', 1)[1].capitalize()
    for interface in ('org.freedesktop.systemd1.' + kind, 'org.freedesktop.systemd1.Unit'):
        props = obj.GetAll(interface, dbus_interface='org.freedesktop.DBus.Properties')
        for name, value in props.items():
            print(unit, name, signature(value), repr(value).replace('\n', ' '))

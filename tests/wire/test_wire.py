"""Wire fidelity: every SOAP request nestwarden sends, held against what pyVmomi serialises for the
same call. vCenter validates element order against the vim25 schema; the simulator does not, so
pyVmomi (Debian's python3-pyvmomi, API 6.7) is the oracle. The values (morefs, paths, tokens) come
from our request; the structure, order and types come from pyVmomi."""
import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from scenario import Scenario  # noqa: E402
import testmain  # noqa: E402

from pyVmomi import SoapAdapter, VmomiSupport  # noqa: E402

NS = {"soapenv": "http://schemas.xmlsoap.org/soap/envelope/", "vim": "urn:vim25",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
STUB = SoapAdapter.SoapStubAdapter(host="127.0.0.1", port=1, version="vim.version.version12")


def canon(xml):
    if isinstance(xml, bytes):
        xml = xml.decode()
    return ET.canonicalize(xml_data=xml)


def wsdl(name):
    return VmomiSupport.GetWsdlType("urn:vim25", name)


def method_info(cls, wire_name):
    for info in cls._methodInfo.values():
        if info.wsdlName == wire_name:
            return info
    for base in cls.__bases__:
        if hasattr(base, "_methodInfo"):
            found = method_info(base, wire_name)
            if found:
                return found
    return None


def pyvmomi_body(method_el):
    """pyVmomi's envelope for the call in method_el. Each parameter is read into its declared vim25
    type by pyVmomi's own deserializer and written back by its serializer, so pyVmomi decides every
    element's order, presence and xsi:type; only the values come from our request."""
    name = method_el.tag.split("}")[1]
    this = method_el.find("vim:_this", NS)
    cls = wsdl(this.get("type"))
    info = method_info(cls, name)
    assert info is not None, "%s has no method %s in pyVmomi" % (this.get("type"), name)
    args = []
    for p in info.params:
        el = method_el.find("vim:" + p.name, NS)
        if el is None:
            args.append(None)
            continue
        args.append(SoapAdapter.Deserialize(ET.tostring(el, encoding="unicode"), p.type, stub=STUB))
    mo = cls(this.text, STUB)
    return STUB.SerializeRequest(mo, info, args)


class WireTest(unittest.TestCase):
    def test_every_soap_request_matches_pyvmomi(self):
        with Scenario() as scn:
            conf = scn.config(vcenter__page_size="2")
            p = subprocess.run([os.environ["NW_WIRE_CAPTURE"], conf], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
        seen = set()
        records = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertGreater(len(records), 4)
        for i, rec in enumerate(records):
            body = ET.fromstring(rec["body"])
            method = body.find("soapenv:Body", NS)[0]
            name = method.tag.split("}")[1]
            seen.add(name)
            with self.subTest(i=i, method=name):
                self.assertEqual(canon(rec["body"]), canon(pyvmomi_body(method)))
                if name != "RetrieveServiceContent":
                    self.assertEqual(rec["action"], '"urn:vim25/6.7"')
        self.assertEqual(seen, {"RetrieveServiceContent", "Login", "RetrievePropertiesEx",
                                "ContinueRetrievePropertiesEx", "CreateFilter", "WaitForUpdatesEx",
                                "DestroyPropertyFilter", "CreatePropertyCollector", "ReconfigVM_Task",
                                "ReconfigureDVPortgroup_Task", "UpdatePortGroup", "FetchDVPorts",
                                "ReconfigureDVPort_Task", "Logout", "LogUserEvent",
                                "AddCustomFieldDef", "SetField"})
        # Both policy flavours of the portgroup fix went out.
        dvpg = [r["body"] for r in records if "ReconfigureDVPortgroup_Task" in r["body"]]
        self.assertTrue(any("<macManagementPolicy>" in b for b in dvpg), dvpg)
        self.assertTrue(any("<securityPolicy>" in b for b in dvpg), dvpg)


if __name__ == "__main__":
    testmain.main()

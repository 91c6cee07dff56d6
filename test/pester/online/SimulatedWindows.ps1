# A simulated Windows machine for the online hardening script: HKLM in memory, the Remote Desktop
# certificate store, services and their processes, TCP listeners, firewall rules, the MachineKeys ACL and
# the BCD store. The script's seam functions (see "#region seam" in src/baseline/scripts/online.ps1) are
# shadowed by global aliases to the Sim* functions below: PowerShell resolves an alias before a function
# of the same name, so the rendered script runs unchanged. Native commands (reg, icacls, takeown, netsh,
# bcdedit, shutdown) are recording mocks. Every call lands in $SimM.Calls; calls that would change the
# machine also land in $SimM.Mutations.
#
# Behaviour modelled on Windows (cited):
# - TermService binds the PortNumber of WinStations\RDP-Tcp when it starts; it cannot bind a port another
#   process holds ("Check the RDP port", runbook step 1).
# - Restarting SessionEnv with no certificate in the "Remote Desktop" store makes Windows create a new
#   self-signed RDP certificate, valid about 6 months (runbook step 2.1).
# - MachineKeys default ACL (KB 278381): Everyone special (read/write data, attributes, read permissions)
#   and Administrators Full Control, this folder only. icacls /grant *SID:(F|R) adds an allow entry.
# - SCHANNEL: a missing TLS 1.2 Server key means enabled from Windows Server 2012 (build 9200).

$script:Seam = 'Get-Root', 'Test-RegKey', 'Get-RegValue', 'Set-RegValue', 'Invoke-Native', 'Get-Svc', 'Get-SvcInProcess',
  'Set-Svc', 'Get-Listeners', 'Get-ProcName', 'Get-Certs', 'Remove-Cert', 'Add-Cert', 'Get-ListenerCert', 'Test-CertKey',
  'Get-Fw', 'Set-Fw', 'Get-Access', 'Wait-Seconds'

$HKLM = 'HKEY_LOCAL_MACHINE\'
$RdpTcp = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$Tls12 = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server'
$MachineKeys = '\Microsoft\Crypto\RSA\MachineKeys'
$EveryoneKb278381 = 1 -bor 2 -bor 4 -bor 8 -bor 16 -bor 128 -bor 256 -bor 131072

function New-SimCert([int]$Days = 180, [string]$Subject = 'CN=vm1', [string]$Issuer = $Subject) {
  $t = -join ((1..40) | ForEach-Object { '0123456789ABCDEF'[(Get-Random -Maximum 16)] })
  [pscustomobject]@{ Thumbprint = $t; NotAfter = (Get-Date).AddDays($Days); Subject = $Subject; Issuer = $Issuer
    RawData = [byte[]](1, 2, 3); KeyProblem = '' }
}

# A healthy Windows Server 2022 VM as Azure deploys it; tests break it on purpose.
function New-SimMachine([string]$Root) {
  $m = @{
    Root = $Root; Calls = [Collections.ArrayList]@(); Mutations = [Collections.ArrayList]@(); Restarts = [Collections.ArrayList]@()
    Reg = @{}; Svc = @{}; Listen = @{}; Procs = @{ 1000 = 'svchost'; 1001 = 'svchost' }; Certs = [Collections.ArrayList]@()
    Fw = @{}; Acl = @{}; AclUnreadable = $false; AclSaved = @{}; Bcd = @{}; BcdSaved = @{}; Fail = @{}
    TermServiceBroken = $false; NoCertRegen = $false
  }
  $global:SimM = $m
  SimSetRaw ($HKLM + 'SOFTWARE\Microsoft\Windows NT\CurrentVersion') 'CurrentBuildNumber' 'String' '20348'
  foreach ($n in 'UserAuthentication', 'SecurityLayer', 'fAllowSecProtocolNegotiation') { SimSetRaw $RdpTcp $n 'DWord' 1 }
  SimSetRaw $RdpTcp 'SecurityLayer' 'DWord' 1
  SimSetRaw $RdpTcp 'PortNumber' 'DWord' 3389
  SimSetRaw ($HKLM + 'SYSTEM\CurrentControlSet\Control\Terminal Server') 'fDenyTSConnections' 'DWord' 0
  $cc = $HKLM + 'SYSTEM\CurrentControlSet\Control\CrashControl'
  SimSetRaw $cc 'CrashDumpEnabled' 'DWord' 1
  SimSetRaw $cc 'DumpFile' 'ExpandString' '%SystemRoot%\MEMORY.DMP'
  SimSetRaw $cc 'NMICrashDump' 'DWord' 1
  $m.Svc['TermService'] = @{ Name = 'TermService'; State = 'Running'; ProcessId = 1000; StartMode = 'Manual' }
  $m.Svc['SessionEnv'] = @{ Name = 'SessionEnv'; State = 'Running'; ProcessId = 1001; StartMode = 'Manual' }
  $m.Listen[1000] = 3389
  [void]$m.Certs.Add((New-SimCert 150))
  $m.ListenerCert = $m.Certs[0].Thumbprint
  foreach ($n in 'RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP') { $m.Fw[$n] = @{ enabled = $true; port = '3389' } }
  $m.Acl = @(@{ sid = 'S-1-1-0'; rights = $EveryoneKb278381; allow = $true }, @{ sid = 'S-1-5-32-544'; rights = 2032127; allow = $true })
  $m.Bcd = @{
    '{bootmgr}' = @{ displaybootmenu = 'Yes'; timeout = '5'; bootems = 'Yes' }
    '{current}' = @{ ems = 'Yes' }
    '{emssettings}' = @{ emsport = '1'; emsbaudrate = '115200' }
  }
  $m
}

function SimSetRaw($Path, $Name, $Kind, $Value) {
  $k = $Path.ToLowerInvariant()
  if (-not $SimM.Reg.ContainsKey($k)) { $SimM.Reg[$k] = @{} }
  $SimM.Reg[$k][$Name] = @{ value = $Value; kind = $Kind }
}
function SimGetRaw($Path, $Name) { $k = $SimM.Reg[$Path.ToLowerInvariant()]; if ($k) { $k[$Name] } }
function SimRemoveRaw($Path, $Name) { $k = $SimM.Reg[$Path.ToLowerInvariant()]; if ($k) { $k.Remove($Name) } }

function SimCall($Text, [switch]$Mutates) {
  [void]$SimM.Calls.Add($Text)
  if ($Mutates) { [void]$SimM.Mutations.Add($Text) }
}

function SimGetRoot { $SimM.Root }
function SimTestRegKey($Path) { SimCall "Test-RegKey $Path"; $SimM.Reg.ContainsKey($Path.ToLowerInvariant()) }
function SimGetRegValue($Path, $Name) {
  SimCall "Get-RegValue $Path\$Name"
  $v = SimGetRaw $Path $Name
  if ($v) { @{ value = $v.value; kind = $v.kind } }
}
function SimSetRegValue($Path, $Name, $Kind, $Value) {
  SimCall "Set-RegValue $Path\$Name=$Value" -Mutates
  if ($null -eq $Kind) { SimRemoveRaw $Path $Name } else { SimSetRaw $Path $Name $Kind $Value }
}

function SimPortOf([int]$ProcessId) { if ($SimM.Listen.ContainsKey($ProcessId)) { $SimM.Listen[$ProcessId] } }
function SimStartTermService {
  $t = $SimM.Svc['TermService']
  $SimM.Listen.Remove($t.ProcessId)
  $port = [int](SimGetRaw $RdpTcp 'PortNumber').value
  if ($SimM.TermServiceBroken -or $t.StartMode -eq 'Disabled') { $t.State = 'Stopped'; return }
  $t.State = 'Running'
  if (-not ($SimM.Listen.Values -contains $port)) { $SimM.Listen[$t.ProcessId] = $port }
}
function SimGetSvc($Name) {
  SimCall "Get-Svc $Name"
  $s = $SimM.Svc[$Name]
  if ($s) { [pscustomobject]@{ Name = $s.Name; State = $s.State; ProcessId = $(if ($s.State -eq 'Running') { $s.ProcessId } else { 0 }); StartMode = $s.StartMode } }
}
function SimGetSvcInProcess($Id) { @($SimM.Svc.Values | Where-Object { $_.ProcessId -eq $Id -and $_.State -eq 'Running' } | ForEach-Object { $_.Name }) }
function SimSetSvc($Name, $Action) {
  SimCall "Set-Svc $Name $Action" -Mutates
  [void]$SimM.Restarts.Add("$Name $Action")
  $s = $SimM.Svc[$Name]
  if (-not $s) { throw "Cannot find any service with service name '$Name'." }
  if ($Action -eq 'Stop') {
    $s.State = 'Stopped'
    if (@($SimM.Svc.Values | Where-Object { $_.ProcessId -eq $s.ProcessId -and $_.State -eq 'Running' }).Count -eq 0) { $SimM.Listen.Remove($s.ProcessId) }
    return
  }
  if ($s.StartMode -eq 'Disabled') { throw "Service '$Name' cannot be started because it is disabled." }
  if ($Name -eq 'TermService') { SimStartTermService; return }
  $s.State = 'Running'
  if ($Name -eq 'SessionEnv' -and $SimM.Certs.Count -eq 0 -and -not $SimM.NoCertRegen) {
    $c = New-SimCert 180
    [void]$SimM.Certs.Add($c)
    $SimM.ListenerCert = $c.Thumbprint
  }
}
function SimGetListeners($Port) { SimCall "Get-Listeners $Port"; @($SimM.Listen.Keys | Where-Object { $SimM.Listen[$_] -eq [int]$Port }) }
function SimGetProcName($Id) { $SimM.Procs[[int]$Id] }
function SimGetCerts { SimCall 'Get-Certs'; @($SimM.Certs) }
function SimRemoveCert($Cert) { SimCall "Remove-Cert $($Cert.Thumbprint)" -Mutates; $SimM.Certs.Remove($Cert) }
function SimAddCert($Cert) { SimCall "Add-Cert $($Cert.Thumbprint)" -Mutates; [void]$SimM.Certs.Add($Cert) }
function SimGetListenerCert { $SimM.ListenerCert }
function SimTestCertKey($Cert) { $Cert.KeyProblem }
function SimGetFw($Name) {
  SimCall "Get-Fw $Name"
  $r = $SimM.Fw[$Name]
  if ($r) { @{ enabled = $r.enabled; port = $r.port } }
}
function SimSetFw($Name, $Port, $Enabled) { SimCall "Set-Fw $Name $Port $Enabled" -Mutates; $SimM.Fw[$Name] = @{ enabled = [bool]$Enabled; port = "$Port" } }
function SimGetAccess($Path) {
  SimCall "Get-Access $Path"
  if ($SimM.AclUnreadable) { throw "Attempted to perform an unauthorized operation." }
  @($SimM.Acl | ForEach-Object { @{ sid = $_.sid; rights = $_.rights; allow = $_.allow } })
}
function SimWaitSeconds($N) { SimCall "Wait-Seconds $N" }

# The native commands, as the script calls them through Invoke-Native.
function SimNative($Exe) {
  $a = @($args | ForEach-Object { "$_" })
  $line = "$Exe $($a -join ' ')"
  $readOnly = ($Exe -eq 'bcdedit.exe' -and $a[0] -eq '/enum') -or ($Exe -eq 'icacls.exe' -and $a.Count -eq 3 -and $a[1] -eq '/t')
  SimCall $line -Mutates:(-not $readOnly)
  foreach ($k in $SimM.Fail.Keys) { if ($line -like $k) { throw "$Exe $($a -join ' ') failed with exit code $($SimM.Fail[$k])" } }
  switch ($Exe) {
    'reg.exe' { if ($a[0] -eq 'export') { Set-Content -LiteralPath $a[2] -Value "Windows Registry Editor Version 5.00`r`n[$($a[1])]" } }
    'netsh.exe' { Set-Content -LiteralPath $a[2] -Value 'wfw' }
    'takeown.exe' { $SimM.AclUnreadable = $false }
    'shutdown.exe' { $SimM.Shutdown = $a -join ' ' }
    'icacls.exe' {
      if ($a -contains '/save') { $f = $a[[array]::IndexOf($a, '/save') + 1]; Set-Content -LiteralPath $f -Value 'acl'; $SimM.AclSaved[$f] = @($SimM.Acl) }
      elseif ($a -contains '/restore') { $SimM.Acl = @($SimM.AclSaved[$a[[array]::IndexOf($a, '/restore') + 1]]) }
      elseif ($a -contains '/grant') {
        $g = $a[[array]::IndexOf($a, '/grant') + 1]
        if ($g -notmatch '^\*(S-[\d-]+):\((F|R)\)$') { throw "icacls: invalid grant $g" }
        $SimM.Acl = @($SimM.Acl) + @{ sid = $Matches[1]; rights = $(if ($Matches[2] -eq 'F') { 2032127 } else { 1179785 }); allow = $true }
      } else { ($SimM.Acl | ForEach-Object { "$($_.sid):$($_.rights)" }) -join "`r`n" }
    }
    'bcdedit.exe' {
      switch ($a[0]) {
        # Out-String in the production Invoke-Native makes one string of bcdedit's lines.
        '/enum' { $e = $SimM.Bcd[$a[1]]; (@("identifier              $($a[1])") + @($e.Keys | ForEach-Object { '{0,-24}{1}' -f $_, $e[$_] })) -join "`r`n" }
        '/export' { Set-Content -LiteralPath $a[1] -Value 'bcd'; $SimM.BcdSaved[$a[1]] = ($SimM.Bcd | ConvertTo-Json -Depth 3) }
        '/import' { $j = $SimM.BcdSaved[$a[1]] | ConvertFrom-Json; foreach ($t in $j.PSObject.Properties) { $h = @{}; foreach ($p in $t.Value.PSObject.Properties) { $h[$p.Name] = $p.Value }; $SimM.Bcd[$t.Name] = $h } }
        '/set' { $SimM.Bcd[$a[1]][$a[2]] = $(if ($a[3] -eq 'yes') { 'Yes' } else { $a[3] }) }
        '/ems' { $SimM.Bcd[$a[1]]['ems'] = 'Yes' }
        '/emssettings' { $SimM.Bcd['{emssettings}'] = @{ emsport = $a[1].Split(':')[1]; emsbaudrate = $a[2].Split(':')[1] } }
        default { throw "bcdedit: unexpected $line" }
      }
    }
    default { throw "unexpected native command $line" }
  }
}

$script:SimFunction = @{
  'Get-Root' = 'SimGetRoot'; 'Test-RegKey' = 'SimTestRegKey'; 'Get-RegValue' = 'SimGetRegValue'; 'Set-RegValue' = 'SimSetRegValue'
  'Invoke-Native' = 'SimNative'; 'Get-Svc' = 'SimGetSvc'; 'Get-SvcInProcess' = 'SimGetSvcInProcess'; 'Set-Svc' = 'SimSetSvc'
  'Get-Listeners' = 'SimGetListeners'; 'Get-ProcName' = 'SimGetProcName'; 'Get-Certs' = 'SimGetCerts'; 'Remove-Cert' = 'SimRemoveCert'
  'Add-Cert' = 'SimAddCert'; 'Get-ListenerCert' = 'SimGetListenerCert'; 'Test-CertKey' = 'SimTestCertKey'; 'Get-Fw' = 'SimGetFw'
  'Set-Fw' = 'SimSetFw'; 'Get-Access' = 'SimGetAccess'; 'Wait-Seconds' = 'SimWaitSeconds'
}

# Runs a rendered script on the simulated machine: its stdout lines, exit code and parsed last line.
function Invoke-OnSim([string]$ScriptPath) {
  foreach ($n in $script:Seam) { Set-Alias -Name $n -Value $script:SimFunction[$n] -Scope Global -Force }
  try {
    $global:LASTEXITCODE = $null
    $lines = @(& $ScriptPath 2>&1 | ForEach-Object { "$_" })
    $code = $LASTEXITCODE
  } finally {
    foreach ($n in $script:Seam) { Remove-Item -Path "Alias:\$n" -Force -ErrorAction SilentlyContinue }
  }
  $last = $lines[-1]
  $summary = $last | ConvertFrom-Json
  $report = $null
  if ($summary.report -and (Test-Path -LiteralPath $summary.report)) { $report = Get-Content -LiteralPath $summary.report -Raw | ConvertFrom-Json }
  [pscustomobject]@{ Lines = $lines; Last = $last; Code = $code; Summary = $summary; Report = $report }
}

function Get-Result($Run, [string]$Id) { @($Run.Report.results | Where-Object { $_.id -eq $Id }) }
